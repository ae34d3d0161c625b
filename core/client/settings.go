package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"opensms/core/model"
)

// Settings are what the agent's own user may change while the engine runs
// (`smsctl pcm set`, through the socket for root only). A setting changed
// is kept in the State and outlasts restarts: it wins over the Config (and
// Serve's interval) it was started with.
type Settings struct {
	// Interval is how often Serve polls.
	Interval time.Duration `json:"interval"`
	// DeferFor is how long one "Later" postpones a mandatory offer.
	DeferFor time.Duration `json:"defer_for"`
	// SlowLink: offers marked "not mandatory over slow links" are optional.
	SlowLink bool `json:"slow_link"`
}

// SettingsChange names the settings to change; nil fields stay as they
// are. The State keeps the accumulated changes in this form, so that a
// setting never changed keeps following the Config.
type SettingsChange struct {
	Interval *time.Duration `json:"interval,omitempty"`
	DeferFor *time.Duration `json:"defer_for,omitempty"`
	SlowLink *bool          `json:"slow_link,omitempty"`
}

// Bounds of the settings: a computer that polls less than daily misses its
// mandatory times by a day; a deferral longer than a month is a refusal.
const (
	MaxInterval = 24 * time.Hour
	MaxDeferFor = 30 * 24 * time.Hour
)

// Validate refuses a change with one sentence naming the setting (it
// wraps model.ErrInvalid).
func (c SettingsChange) Validate() error {
	check := func(name string, d *time.Duration, max time.Duration) error {
		switch {
		case d == nil:
			return nil
		case *d <= 0:
			return refusal{fmt.Sprintf("%s %v must be positive", name, *d), model.ErrInvalid}
		case *d > max:
			return refusal{fmt.Sprintf("%s %v is longer than %v", name, *d, max), model.ErrInvalid}
		}
		return nil
	}
	if err := check("interval", c.Interval, MaxInterval); err != nil {
		return err
	}
	if err := check("defer-for", c.DeferFor, MaxDeferFor); err != nil {
		return err
	}
	if c.Interval == nil && c.DeferFor == nil && c.SlowLink == nil {
		return refusal{"no setting to change was given (interval, defer-for, slow-link)", model.ErrInvalid}
	}
	return nil
}

// merge lays c over base.
func (c SettingsChange) merge(base SettingsChange) SettingsChange {
	if c.Interval != nil {
		base.Interval = c.Interval
	}
	if c.DeferFor != nil {
		base.DeferFor = c.DeferFor
	}
	if c.SlowLink != nil {
		base.SlowLink = c.SlowLink
	}
	return base
}

// applyLocked sets the changed settings on the engine; e.mu is held (or
// the engine is not shared yet).
func (e *Engine) applyLocked(c SettingsChange) {
	if c.Interval != nil {
		e.interval = *c.Interval
	}
	if c.DeferFor != nil {
		e.cfg.DeferFor = *c.DeferFor
	}
	if c.SlowLink != nil {
		e.cfg.SlowLink = *c.SlowLink
	}
}

// Settings returns the settings in force.
func (e *Engine) Settings() Settings {
	e.mu.Lock()
	defer e.mu.Unlock()
	return Settings{Interval: e.intervalLocked(), DeferFor: e.cfg.DeferFor, SlowLink: e.cfg.SlowLink}
}

// intervalLocked is the poll interval in force; e.mu is held.
func (e *Engine) intervalLocked() time.Duration {
	if e.interval > 0 {
		return e.interval
	}
	return DefaultInterval
}

// ChangeSettings validates the change, keeps it in the State and applies
// it; nothing changes when it is refused. The offers are published again
// (the slow-link setting changes which are mandatory, and Serve wakes to
// take a new interval).
func (e *Engine) ChangeSettings(ctx context.Context, c SettingsChange) (Settings, error) {
	if err := c.Validate(); err != nil {
		return Settings{}, fmt.Errorf("settings not changed: %w", err)
	}
	e.setMu.Lock()
	defer e.setMu.Unlock()
	kept, err := e.st.Settings(ctx)
	if err != nil {
		return Settings{}, fmt.Errorf("reading the settings: %w", err)
	}
	if err := e.st.PutSettings(ctx, c.merge(kept)); err != nil {
		return Settings{}, fmt.Errorf("keeping the settings: %w", err)
	}
	e.mu.Lock()
	e.applyLocked(c)
	e.mu.Unlock()
	s := e.Settings()
	e.log.Info("settings changed", "interval", s.Interval, "defer_for", s.DeferFor, "slow_link", s.SlowLink)
	e.publishOffers()
	return s, nil
}

// Unenroll forgets the site: the enrolment, its password and the pinned
// key go, and with them the offers (nothing the old site signed runs any
// more). History, run records and this computer's own key stay: the key is
// the one the site registered, and a later enrolment keeps it, as
// enrolling again does. A command that is running refuses it: the run
// would report to a site the computer no longer belongs to.
func (e *Engine) Unenroll(ctx context.Context) (Enrollment, error) {
	old, ok := e.Enrolled()
	if !ok {
		return Enrollment{}, ErrNotEnrolled
	}
	// Holding the run lock keeps runs from starting meanwhile; a run that
	// waited for it finds no offer afterwards.
	if !e.runMu.TryLock() {
		return Enrollment{}, refusal{"not unenrolled: " + e.runningJobs() + "; unenrol once it has ended", ErrRunning}
	}
	defer e.runMu.Unlock()
	if err := e.st.DeleteEnrollment(ctx); err != nil {
		return Enrollment{}, fmt.Errorf("forgetting the enrolment: %w", err)
	}
	if err := e.st.PutInstructions(ctx, nil); err != nil {
		e.log.Warn("kept instructions not cleared", "err", err)
	}
	e.mu.Lock()
	e.enr = nil
	e.ins = nil
	e.missed = 0
	e.polled, e.pollErr = time.Time{}, nil
	e.inv = invState{}
	e.mu.Unlock()
	e.log.Info("unenrolled", "site", old.SiteCode, "computer", old.Computer, "fingerprint", old.Fingerprint)
	e.publishOffers()
	return old, nil
}

// refusal is a sentence that is one of the engine's errors (kind) without
// repeating that error's own words.
type refusal struct {
	msg  string
	kind error
}

func (r refusal) Error() string { return r.msg }

// Is makes errors.Is(err, kind) hold.
func (r refusal) Is(target error) bool { return target == r.kind }

// runningJobs names the jobs running now, for a sentence.
func (e *Engine) runningJobs() string {
	e.mu.Lock()
	jobs := make([]string, 0, len(e.running))
	for j := range e.running {
		jobs = append(jobs, j)
	}
	e.mu.Unlock()
	if len(jobs) == 0 {
		return "a command is running"
	}
	slices.Sort(jobs)
	return "job " + strings.Join(jobs, ", ") + " is running"
}

// keptComputerKey is the computer's own key an earlier enrolment left
// (Unenroll keeps it), or nil.
func (e *Engine) keptComputerKey(ctx context.Context) ed25519.PrivateKey {
	k, err := e.st.ComputerKey(ctx)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		e.log.Warn("this computer's kept key is unreadable; making a new one", "err", err)
	}
	if len(k) != ed25519.PrivateKeySize {
		return nil
	}
	return k
}
