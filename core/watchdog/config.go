package watchdog

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"opensms/core/share"
)

// Config tunes the watchdog. The zero value is usable: New fills it with
// Defaults.
type Config struct {
	// Interval is the time between two cycles when the service runs (SMS
	// 1.2's watchdog cycle). Default 60s.
	Interval time.Duration
	// Concurrency is how many distribution servers one job pushes to at
	// once. Default 4.
	Concurrency int
	// SiteConcurrency is how many small operations (reading a status or
	// instruction file, writing an instruction file) are in flight on one
	// site share at once: each is a few round trips, and at 10,000
	// computers one at a time is most of a cycle. Default 16.
	SiteConcurrency int
	// SiteSessions is how many SMB sessions one big batch of those
	// operations may spread over on one site share (one per 200
	// operations): Samba serves each session with one single-threaded
	// process. Default 4.
	SiteSessions int
	// ArchiveDir is where the Send phase keeps compressed packages, one
	// folder per package. Default: the store's Dir() + "/archives".
	ArchiveDir string
	// StateDir is where the service keeps what spares a restart work: the
	// digests of the instruction files it wrote, so that it need not read
	// them all back. Default: the store's Dir() + "/watchdog"; empty keeps
	// nothing.
	StateDir string
	// InstructionsValidity is how long an instruction file stays valid; the
	// service signs each again when a third of it has passed. Default
	// protocol.DefaultValidity.
	InstructionsValidity time.Duration
	// Retry is how a transfer retries transient failures within a cycle;
	// the next cycle retries what is still failing. Default DefaultRetry.
	Retry share.RetryPolicy
	// Now is the clock; tests set it to move time. Default time.Now.
	Now func() time.Time
	// Logger receives what the service does. Default: discard.
	Logger *slog.Logger
}

// Default values.
const (
	DefaultInterval    = 60 * time.Second
	DefaultConcurrency = 4
	// DefaultSiteConcurrency and DefaultSiteSessions: measured at 10,000
	// computers against Samba on 2 cores (core/watchdog TestScaleCycle).
	DefaultSiteConcurrency = 16
	DefaultSiteSessions    = 4
	// MaxSiteSessions bounds SiteSessions.
	MaxSiteSessions = 16
	// MaxConcurrency bounds Concurrency: each push holds an SMB session.
	MaxConcurrency = 64
)

// DefaultRetry is short on purpose: within a cycle a transfer or a site
// share gets three tries over about a second and a half, and what still
// fails waits for the next cycle. A longer back-off here held a whole cycle
// for most of a minute when one server was down, while jobs on the servers
// that answered waited behind it.
var DefaultRetry = share.RetryPolicy{Initial: 500 * time.Millisecond, Max: 4 * time.Second, MaxAttempts: 3}

// Defaults returns c with every unset field filled in. storeDir is the
// store's data directory, under which the archives live by default.
func (c Config) Defaults(storeDir string) Config {
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.SiteConcurrency == 0 {
		c.SiteConcurrency = DefaultSiteConcurrency
	}
	if c.SiteSessions == 0 {
		c.SiteSessions = DefaultSiteSessions
	}
	if c.ArchiveDir == "" && storeDir != "" {
		c.ArchiveDir = filepath.Join(storeDir, "archives")
	}
	if c.StateDir == "" && storeDir != "" {
		c.StateDir = filepath.Join(storeDir, "watchdog")
	}
	if c.Retry == (share.RetryPolicy{}) {
		c.Retry = DefaultRetry
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate refuses a configuration the service cannot run with, naming the
// field.
func (c Config) Validate() error {
	switch {
	case c.Interval < time.Second:
		return fmt.Errorf("watchdog interval %v is shorter than one second", c.Interval)
	case c.Concurrency < 1 || c.Concurrency > MaxConcurrency:
		return fmt.Errorf("watchdog concurrency %d is not between 1 and %d", c.Concurrency, MaxConcurrency)
	case c.SiteConcurrency < 1 || c.SiteConcurrency > MaxConcurrency:
		return fmt.Errorf("watchdog site concurrency %d is not between 1 and %d", c.SiteConcurrency, MaxConcurrency)
	case c.SiteSessions < 1 || c.SiteSessions > MaxSiteSessions:
		return fmt.Errorf("watchdog site sessions %d is not between 1 and %d", c.SiteSessions, MaxSiteSessions)
	case c.ArchiveDir == "":
		return fmt.Errorf("watchdog archive directory is not set")
	case !filepath.IsAbs(c.ArchiveDir):
		return fmt.Errorf("watchdog archive directory %q is not an absolute path", c.ArchiveDir)
	case c.StateDir != "" && !filepath.IsAbs(c.StateDir):
		return fmt.Errorf("watchdog state directory %q is not an absolute path", c.StateDir)
	case c.InstructionsValidity < 0 || c.InstructionsValidity > 0 && c.InstructionsValidity < 3*c.Interval:
		return fmt.Errorf("instruction validity %v is shorter than three watchdog cycles (%v)", c.InstructionsValidity, 3*c.Interval)
	}
	if err := c.Retry.Validate(); err != nil {
		return fmt.Errorf("watchdog retry policy: %w", err)
	}
	return nil
}
