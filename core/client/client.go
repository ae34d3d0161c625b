// Package client is the Package Command Manager's engine: enrolment with a
// site, inventory, polling and verifying the signed instruction file,
// computing the offers, and running a package (download from the first
// distribution server that answers, verify, unpack, run, report). The PCM
// window (gui/pcm) and the headless agent (`smsctl pcm`) are both thin
// shells over one Engine; neither holds logic the other lacks.
//
// The engine keeps its own state (enrolment, pinned site key, history, runs,
// download progress) through the State interface, which storage/clientstore
// implements on Badger in the client's data directory, never in the
// Administrator's.
package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"opensms/core/detect"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// Errors the engine returns (wrapped, with what they are about).
var (
	// ErrNotEnrolled: the client has no site yet; enrol first.
	ErrNotEnrolled = errors.New("this computer is not enrolled with a site")
	// ErrUntrustedKey: the site's key is not the one the caller trusts.
	ErrUntrustedKey = errors.New("the site's key is not the trusted one")
	// ErrNotOffered: the job is not (or no longer) offered to this computer.
	ErrNotOffered = errors.New("job is not offered to this computer")
	// ErrRunning: the job is already running.
	ErrRunning = errors.New("job is already running")
	// ErrNotMandatory: only a mandatory offer can be deferred.
	ErrNotMandatory = errors.New("job is not mandatory")
	// ErrNoDeferralsLeft: the user has said Later as often as the job allows.
	ErrNoDeferralsLeft = errors.New("no deferrals left")
	// ErrUntrusted: the instruction file is unsigned, tampered with, signed
	// by another key or not for this computer. The engine runs nothing from
	// it. Errors from protocol.DecodeInstructions are wrapped as well, so
	// errors.Is(err, protocol.ErrBadSignature) also works.
	ErrUntrusted = errors.New("instructions refused")
)

// MaxSiteFile and MaxInstructions bound what the engine reads from the site
// share, so that a hostile share cannot make it allocate without limit.
const (
	MaxSiteFile     = 1 << 20
	MaxInstructions = 32 << 20
)

// OutputTail is how many bytes of a command's output are kept (the last ones).
const OutputTail = 4 << 10

// Config is what the engine needs to know about its computer and places.
type Config struct {
	// DataDir holds the client's own state (State lives here too).
	DataDir string
	// CacheDir holds downloaded archives and unpacked packages:
	// CacheDir/<PKG>/<SHA256>/. Defaults to DataDir/cache.
	CacheDir string
	// Computer is this computer's name, upper case; defaults to the host
	// name. An enrolment may set another, which then wins.
	Computer string
	// Platform is GOOS/GOARCH; defaults to the running one.
	Platform model.Platform
	// ClientVersion is reported in the inventory.
	ClientVersion string
	// Now is the clock; defaults to time.Now.
	Now func() time.Time
	// Opener connects to the site share and distribution servers.
	Opener share.Opener
	// Logger receives what the engine does; defaults to a discarding one.
	Logger *slog.Logger
	// SlowLink says the computer is on a slow link: offers marked "not
	// mandatory over slow links" are then optional.
	SlowLink bool
	// DeferFor is how long one "Later" postpones a mandatory offer;
	// defaults to DefaultDeferFor.
	DeferFor time.Duration
	// Shell overrides the command interpreter (tests); empty means `sh -c`
	// on Unix and `cmd /c` on Windows.
	Shell []string
}

// DefaultDeferFor is how long one "Later" postpones a mandatory offer.
const DefaultDeferFor = time.Hour

// Defaults fills the zero fields.
func (c *Config) Defaults() {
	if c.CacheDir == "" && c.DataDir != "" {
		c.CacheDir = filepath.Join(c.DataDir, "cache")
	}
	if c.Computer == "" {
		h, _ := os.Hostname()
		if i := strings.IndexByte(h, '.'); i > 0 {
			h = h[:i]
		}
		c.Computer = h
	}
	c.Computer = model.NormalizeComputerName(c.Computer)
	if c.Platform == "" {
		c.Platform = model.Platform(runtime.GOOS + "/" + runtime.GOARCH)
	}
	if c.ClientVersion == "" {
		c.ClientVersion = "dev"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.DeferFor == 0 {
		c.DeferFor = DefaultDeferFor
	}
}

// Validate refuses a config the engine cannot work with, naming the field.
func (c *Config) Validate() error {
	switch {
	case c.DataDir == "":
		return errors.New("client config: DataDir is empty")
	case c.CacheDir == "":
		return errors.New("client config: CacheDir is empty")
	case c.Opener == nil:
		return errors.New("client config: Opener is nil")
	case c.Now == nil:
		return errors.New("client config: Now is nil")
	case c.Logger == nil:
		return errors.New("client config: Logger is nil")
	case c.DeferFor < 0:
		return fmt.Errorf("client config: DeferFor %v is negative", c.DeferFor)
	}
	if err := model.ValidComputerName(c.Computer); err != nil {
		return fmt.Errorf("client config: Computer: %w", err)
	}
	if !strings.Contains(string(c.Platform), "/") {
		return fmt.Errorf("client config: Platform %q is not GOOS/GOARCH", c.Platform)
	}
	return nil
}

// Enrollment is what the client remembers about its site.
type Enrollment struct {
	// SiteShare is the site share's location as given (URL or UNC).
	SiteShare string `json:"site_share"`
	// Credentials connect to the site share and the distribution servers.
	// The password is a model.Secret: it never prints, and the State keeps
	// it apart from the record.
	Credentials model.Credentials `json:"credentials"`
	SiteCode    string            `json:"site_code"`
	SiteName    string            `json:"site_name"`
	// PublicKey is the pinned site key (ed25519.PublicKey); instruction
	// files must verify with it.
	PublicKey   []byte    `json:"public_key"`
	Fingerprint string    `json:"fingerprint"`
	Computer    string    `json:"computer"`
	Enrolled    time.Time `json:"enrolled"`
	// Key is this computer's own signing key, made at its first enrolment
	// and kept across enrolments: status and inventory files are signed
	// with it. Like the password, the State keeps it sealed, apart from
	// the record.
	Key ed25519.PrivateKey `json:"-"`
}

// RunRecord is what the engine remembers per job: which generation it ran
// and how that went, and how the user deferred it.
type RunRecord struct {
	Job string `json:"job"`
	// Generation is the offer generation the record is about; deferrals,
	// attempts and Ran reset when a higher one is offered.
	Generation int `json:"generation"`
	// Ran says the job ran (to an end, good or bad) in Generation.
	Ran           bool              `json:"ran"`
	State         model.TargetState `json:"state,omitempty"`
	Attempts      int               `json:"attempts"`
	DeferralsUsed int               `json:"deferrals_used"`
	DeferredUntil time.Time         `json:"deferred_until,omitempty"`
	// Pending is a status the site share has not taken yet (it was
	// unreachable when the run ended); each poll tries to write it again.
	Pending *protocol.Status `json:"pending,omitempty"`
	// Reported names what the engine has already reported about this
	// generation without running it ("platform", "expired"), so that a poll
	// does not write the same refusal again and again.
	Reported string `json:"reported,omitempty"`
}

// RunningCommand is the mark a command leaves in the state while it runs.
// It is written before the command starts, so that an engine killed
// meanwhile (kill -9, a crash, power) finds it at its next start: the run
// is then reported as interrupted, whatever the command left behind is
// stopped first, and nothing starts the job again by itself until it is
// offered again or its mandatory time comes.
type RunningCommand struct {
	Job         string    `json:"job"`
	Generation  int       `json:"generation"`
	Package     string    `json:"package"`
	PackageName string    `json:"package_name"`
	Command     string    `json:"command"` // command line name
	Started     time.Time `json:"started"`
	// DueAt is the offer's mandatory time when the run started (zero: not
	// mandatory). A run started before it may run again when it comes.
	DueAt time.Time `json:"due_at,omitempty"`
	// PID is the command's process (on Unix also its process group); 0
	// until it has started.
	PID int `json:"pid,omitempty"`
	// Proc tells the process apart from a later one that got the same
	// number (on Linux the boot and the process's start tick); "" where
	// the platform has nothing to tell.
	Proc string `json:"proc,omitempty"`
	// Agent is the process id of the engine that ran it.
	Agent int `json:"agent"`
	// Attempts counts this run among the job's runs in its generation.
	Attempts int `json:"attempts"`
}

// Download is an archive download in progress (its bytes sit in a .part
// file in the cache until they are complete and verified).
type Download struct {
	Package string    `json:"package"`
	Archive string    `json:"archive"` // hex sha256
	Size    int64     `json:"size"`
	Done    int64     `json:"done"`
	Server  string    `json:"server"`
	Updated time.Time `json:"updated"`
}

// HistoryEntry is one run of a job on this computer.
type HistoryEntry struct {
	Job         string            `json:"job"`
	Package     string            `json:"package"`
	PackageName string            `json:"package_name"`
	Command     string            `json:"command"` // command line name
	Generation  int               `json:"generation"`
	Started     time.Time         `json:"started"`
	Finished    time.Time         `json:"finished"`
	State       model.TargetState `json:"state"` // complete or failed
	ExitCode    *int              `json:"exit_code,omitempty"`
	Reboot      model.Reboot      `json:"reboot,omitempty"`
	Server      string            `json:"server,omitempty"` // where the archive came from
	OutputTail  string            `json:"output_tail,omitempty"`
	Error       string            `json:"error,omitempty"`
	// AlreadyInstalled: the detection rules held, so nothing ran.
	AlreadyInstalled bool `json:"already_installed,omitempty"`
}

// Outcome says how the run ended in a few words: "complete", "failed",
// "complete, already installed".
func (h HistoryEntry) Outcome() string {
	if h.AlreadyInstalled {
		return string(h.State) + ", already installed"
	}
	return string(h.State)
}

// State is what the engine persists. storage/clientstore implements it on
// Badger; every method is safe for concurrent use. Getters return an error
// wrapping model.ErrNotFound when there is nothing.
type State interface {
	// Enrollment returns the enrolment, with its password filled in.
	Enrollment(ctx context.Context) (Enrollment, error)
	// PutEnrollment replaces the enrolment (the password is stored apart,
	// never in plain text).
	PutEnrollment(ctx context.Context, e Enrollment) error
	// DeleteEnrollment forgets the enrolment and its password; the
	// computer's own key stays, and ComputerKey returns it.
	DeleteEnrollment(ctx context.Context) error
	// ComputerKey returns this computer's own key, enrolled or not.
	ComputerKey(ctx context.Context) (ed25519.PrivateKey, error)

	// Settings returns the settings changed so far (the zero value when
	// none); PutSettings replaces them.
	Settings(ctx context.Context) (SettingsChange, error)
	PutSettings(ctx context.Context, s SettingsChange) error

	Run(ctx context.Context, job string) (RunRecord, error)
	PutRun(ctx context.Context, r RunRecord) error
	ListRuns(ctx context.Context) ([]RunRecord, error)

	// AddHistory appends one entry.
	AddHistory(ctx context.Context, h HistoryEntry) error
	// History lists the entries, newest first.
	History(ctx context.Context) ([]HistoryEntry, error)

	// PutInstructions keeps the last verified instruction file as it was
	// read (nil: the site has none for this computer), so that a restarted
	// engine shows its offers before its first poll. The engine verifies
	// it again with the pinned key when it reads it back.
	PutInstructions(ctx context.Context, data []byte) error
	// Instructions returns what PutInstructions kept.
	Instructions(ctx context.Context) ([]byte, error)
	// PutAccepted keeps the number of the newest instruction file accepted,
	// which only grows; Accepted returns it (the zero value when none).
	PutAccepted(ctx context.Context, a Accepted) error
	Accepted(ctx context.Context) (Accepted, error)

	// PutRunning records a command as running, before it starts and again
	// once its process is known; DeleteRunning removes the mark when the
	// run has ended and its outcome is stored; ListRunning returns the
	// marks left.
	PutRunning(ctx context.Context, r RunningCommand) error
	DeleteRunning(ctx context.Context, job string) error
	ListRunning(ctx context.Context) ([]RunningCommand, error)

	PutDownload(ctx context.Context, d Download) error
	ListDownloads(ctx context.Context) ([]Download, error)
	DeleteDownload(ctx context.Context, pkg, archive string) error
}

// Accepted is the newest instruction file the engine accepted: its
// sequence number, under the fingerprint of the site key that signed it (a
// number from another site, or from before a new enrolment, counts for
// nothing).
type Accepted struct {
	SiteKey  string `json:"site_key"`
	Sequence uint64 `json:"sequence"`
}

// Engine is one client computer's Package Command Manager. Its methods are
// safe for concurrent use; runs are serialised (one package installs at a
// time, as installers expect).
type Engine struct {
	cfg Config
	st  State
	log *slog.Logger
	// detect checks packages' detection rules before and after a run.
	detect *detect.Evaluator

	runMu sync.Mutex // held while a package runs
	setMu sync.Mutex // serialises settings changes (read, merge, write)

	mu        sync.Mutex
	enr       *Enrollment
	ins       *protocol.Instructions // as of the last good poll
	polled    time.Time
	pollErr   error
	missed    int // polls in a row that found no instruction file while offers stood
	running   map[string]bool
	runs      map[string]RunRecord
	last      map[string]HistoryEntry   // newest history entry per job
	downloads map[string]Download       // by archive hash, while it downloads
	stuck     map[string]RunningCommand // interrupted runs whose processes would not stop
	interval  time.Duration             // Serve's poll interval (a setting); 0 until Serve or a setting gives one

	watchMu  sync.Mutex
	watchers map[chan Event]struct{}

	osOnce sync.Once
	osVer  string

	inv invState // guarded by mu
}

// osVersion returns the operating system's version, read once.
func (e *Engine) osVersion() string {
	e.osOnce.Do(func() { e.osVer = systemVersion() })
	return e.osVer
}

// New makes an engine over st. It reads the enrolment, run records and
// history st already holds.
func New(cfg Config, st State) (*Engine, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("client: state is nil")
	}
	e := &Engine{
		cfg:       cfg,
		st:        st,
		log:       cfg.Logger,
		running:   map[string]bool{},
		runs:      map[string]RunRecord{},
		last:      map[string]HistoryEntry{},
		downloads: map[string]Download{},
		detect:    detect.New(detect.Options{}),
		stuck:     map[string]RunningCommand{},
	}
	ctx := context.Background()
	set, err := st.Settings(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the settings: %w", err)
	}
	e.applyLocked(set)
	enr, err := st.Enrollment(ctx)
	switch {
	case err == nil:
		if len(enr.Key) != ed25519.PrivateKeySize {
			// Enrolled before computers had keys: make one now; the site
			// registers it with the next inventory.
			if enr.Key, err = newComputerKey(); err == nil {
				err = st.PutEnrollment(ctx, enr)
			}
			if err != nil {
				return nil, fmt.Errorf("making this computer's key: %w", err)
			}
		}
		e.enr = &enr
		e.ins = e.cachedInstructions(ctx, enr)
	case !errors.Is(err, model.ErrNotFound):
		return nil, fmt.Errorf("reading the enrolment: %w", err)
	}
	runs, err := st.ListRuns(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading run records: %w", err)
	}
	for _, r := range runs {
		e.runs[r.Job] = r
	}
	hist, err := st.History(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	downloads, err := st.ListDownloads(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading downloads: %w", err)
	}
	for _, d := range downloads {
		e.downloads[d.Archive] = d
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("making the package cache %s: %w", cfg.CacheDir, err)
	}
	if cfg.DataDir != "" {
		if err := checkPrivate("data folder", cfg.DataDir); err != nil {
			return nil, err
		}
	}
	if err := checkPrivate("package cache", cfg.CacheDir); err != nil {
		return nil, err
	}
	for _, h := range hist { // newest first: keep the first seen
		if _, ok := e.last[h.Job]; !ok {
			e.last[h.Job] = h
		}
	}
	if err := e.recoverInterrupted(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Config returns the engine's config with defaults filled in (and the
// settings in force).
func (e *Engine) Config() Config {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cfg
}

// Enrolled returns the enrolment, if there is one.
func (e *Engine) Enrolled() (Enrollment, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enr == nil {
		return Enrollment{}, false
	}
	return *e.enr, true
}

// Computer returns the name this computer reports under: the enrolment's,
// or the config's before enrolment.
func (e *Engine) Computer() string {
	if enr, ok := e.Enrolled(); ok {
		return enr.Computer
	}
	return e.cfg.Computer
}

// LastPoll returns when the last poll ended and its error (nil when it
// succeeded; zero time before the first poll).
func (e *Engine) LastPoll() (time.Time, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.polled, e.pollErr
}

// History returns what ran on this computer, newest first.
func (e *Engine) History(ctx context.Context) ([]HistoryEntry, error) {
	h, err := e.st.History(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	return h, nil
}

// newComputerKey makes a computer's own signing key.
func newComputerKey() (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	return priv, err
}
