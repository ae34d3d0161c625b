package pcm

import (
	"fmt"
	"os"
	"runtime"
	"time"

	"fyne.io/fyne/v2"
)

// Config tunes the window. The zero value is valid: Defaults fills it in.
type Config struct {
	// Countdown is how long the mandatory-offer dialog counts down before it
	// runs the offer. Default 5 minutes.
	Countdown time.Duration
	// PollInterval is how often the window reads its instructions. Default
	// 5 minutes; Refresh polls at once.
	PollInterval time.Duration
	// DueCheck is how often the window asks the engine (without reading the
	// share) for offers that came due or expired between polls. Default 15
	// seconds.
	DueCheck time.Duration
	// Computer pre-fills the enrolment form. Default: the host name.
	Computer string
	// Clock drives the countdown and the polling; tests pass a fake one.
	// Default: the wall clock.
	Clock Clock
	// Icon is the window and tray icon. Default: a computer from the theme.
	Icon fyne.Resource
	// Attached, when set, says in the status bar that the window is
	// attached to the client agent (e.g. "attached to the client agent
	// since 08:30"): packages then run with the computer's rights, and the
	// window leaves system background tasks to the agent, counting down
	// only the mandatory jobs that wait for the user.
	Attached string
	// NoTray keeps the window out of the system tray: closing it then
	// quits. Set it where no tray can show (see TrayLikely), or the user
	// would close the window and have no way back to it.
	NoTray bool
	// Version is the build's (the Makefile stamps it; "dev" from go run),
	// shown in File → About.
	Version string
}

// TrayLikely reports whether this desktop can show a tray icon. On Linux
// and the BSDs the tray is a D-Bus service, so without a session bus (a bare
// X server, a kiosk) there is none.
func TrayLikely() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

// Defaults returns c with every unset field filled in.
func (c Config) Defaults() Config {
	if c.Countdown <= 0 {
		c.Countdown = 5 * time.Minute
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 5 * time.Minute
	}
	if c.DueCheck <= 0 {
		c.DueCheck = 15 * time.Second
	}
	if c.Computer == "" {
		c.Computer, _ = os.Hostname()
	}
	if c.Clock == nil {
		c.Clock = wallClock{}
	}
	return c
}

// Validate refuses settings the window cannot work with, naming the field.
func (c Config) Validate() error {
	for _, f := range []struct {
		name string
		d    time.Duration
		min  time.Duration
	}{
		{"Countdown", c.Countdown, time.Second},
		{"PollInterval", c.PollInterval, time.Second},
		{"DueCheck", c.DueCheck, 100 * time.Millisecond},
	} {
		if f.d < f.min {
			return fmt.Errorf("pcm config: %s is %v; it must be at least %v", f.name, f.d, f.min)
		}
	}
	if c.Clock == nil {
		return fmt.Errorf("pcm config: Clock is not set")
	}
	return nil
}

// Clock is the time source of the countdown and the polling loop.
type Clock interface {
	Now() time.Time
	// NewTicker returns a channel that ticks every d and a stop function.
	NewTicker(d time.Duration) (<-chan time.Time, func())
}

type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

func (wallClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}
