//go:build !windows

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	coreadmin "opensms/core/admin"
	"opensms/gui/admin"
	"opensms/gui/guitest"
	"opensms/storage/adminapi"
)

// siteService is a real `smsctl watchdog serve` on data, built for the test.
type siteService struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
	exited chan struct{}
}

func buildSmsctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "smsctl")
	build := exec.Command("go", "build", "-o", bin, "opensms/cmd/smsctl")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building smsctl: %v\n%s", err, out)
	}
	return bin
}

func startService(t *testing.T, bin, data string) *siteService {
	t.Helper()
	s := &siteService{cmd: exec.Command(bin, "--data", data, "watchdog", "serve", "--interval", "1s"), exited: make(chan struct{})}
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
	eventually(t, "the site service answers", func() bool {
		c, err := adminapi.Attach(context.Background(), data, version)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return s
}

// startLocked is start with the window built as on the UI goroutine: the
// windows' first loads land after it, not while it builds them.
func startLocked(ctx context.Context, a *guitest.App, data string) (adm *admin.Admin, stop func(), err error) {
	a.Locked(func() { adm, stop, err = start(ctx, a, data) })
	return adm, stop, err
}

// eventually waits for cond, failing the test after a minute (a bound so
// that a broken build fails rather than hangs, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// texts gathers every label's, entry's and button's text under o.
func texts(o fyne.CanvasObject) []string {
	var out []string
	guitest.Walk(o, func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			out = append(out, w.Text)
		case *widget.Entry:
			out = append(out, w.Text)
		case *widget.Button:
			out = append(out, w.Text)
		}
	})
	return out
}

// screen is the window's text, and the top overlay's (a dialog) after "|".
func screen(w fyne.Window) string {
	var s string
	fyne.DoAndWait(func() {
		s = strings.Join(texts(w.Canvas().Content()), "\n")
		if top := w.Canvas().Overlays().Top(); top != nil {
			s += "\n|\n" + strings.Join(texts(top), "\n")
		}
	})
	return s
}

// findButton finds the button labelled text in the top overlay.
func findButton(w fyne.Window, text string) *widget.Button {
	var found *widget.Button
	fyne.DoAndWait(func() {
		if top := w.Canvas().Overlays().Top(); top != nil {
			guitest.Walk(top, func(o fyne.CanvasObject) {
				if b, ok := o.(*widget.Button); ok && b.Text == text {
					found = b
				}
			})
		}
	})
	return found
}

func TestTheWindowAttachesToTheSiteServiceAndOffersToReconnect(t *testing.T) {
	bin := buildSmsctl(t)
	data := filepath.Join(t.TempDir(), "data")
	s := startService(t, bin, data)
	ctx := context.Background()
	api, err := adminapi.Attach(ctx, data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	share := t.TempDir()
	if _, err := api.AddSite(ctx, coreadmin.SiteRequest{Code: "S07", Name: "Served Site", Share: "file://" + share}); err != nil {
		t.Fatal(err)
	}
	key, err := api.SiteKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}

	a := guitest.NewApp(t)
	defer a.Quit()
	adm, stop, err := startLocked(ctx, a, data)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	defer adm.Close()
	w := adm.Window()
	eventually(t, "the window shows it is attached and the service's site", func() bool {
		sc := screen(w)
		return strings.Contains(sc, "Attached to the site service (since ") && strings.Contains(sc, "Served Site")
	})
	if _, err := os.Stat(filepath.Join(data, "demo")); err == nil {
		t.Fatal("an attached window made the demo site")
	}

	// Tools → Site key shows the fingerprint, through the service.
	var siteKey *fyne.MenuItem
	for _, m := range w.MainMenu().Items {
		for _, it := range m.Items {
			if it.Label == "Site key…" {
				siteKey = it
			}
		}
	}
	if siteKey == nil {
		t.Fatal("no Tools → Site key… item")
	}
	fyne.DoAndWait(siteKey.Action)
	eventually(t, "the site key dialog shows the fingerprint", func() bool {
		return strings.Contains(screen(w), "|\nSite S07 signs with the key\n"+key.Fingerprint)
	})
	fyne.DoAndWait(func() { w.Canvas().Overlays().Top().Hide() })

	// The service killed: the window says so and offers to reconnect.
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.exited
	eventually(t, "the window says the service went away", func() bool {
		sc := screen(w)
		return strings.Contains(sc, "The site service went away") && strings.Contains(sc, "The site service stopped answering") && findButton(w, "Reconnect") != nil
	})
	// Reconnecting while it is still down says so again.
	reconnect := findButton(w, "Reconnect") // it takes the UI lock itself
	fyne.DoAndWait(func() { test.Tap(reconnect) })
	eventually(t, "a reconnect to a dead service says it does not answer", func() bool {
		return strings.Contains(screen(w), "The site service does not answer") && findButton(w, "Reconnect") != nil
	})
	startService(t, bin, data)
	reconnect = findButton(w, "Reconnect")
	fyne.DoAndWait(func() { test.Tap(reconnect) })
	eventually(t, "the window is attached again", func() bool {
		return strings.Contains(screen(w), "Attached to the site service (reconnected ")
	})
}

func TestTheWindowRunsTheWatchdogItselfWithoutAServiceAndServesItsAPI(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	a := guitest.NewApp(t)
	defer a.Quit()
	adm, stop, err := startLocked(context.Background(), a, data)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	defer adm.Close()
	eventually(t, "the window says the watchdog runs in it", func() bool {
		return strings.Contains(screen(adm.Window()), "The watchdog runs in this window")
	})

	// smsctl and a second Administrator attach to this window, not to a
	// locked store: the same site, the same key.
	other, err := adminapi.Attach(context.Background(), data, version)
	if err != nil {
		t.Fatalf("attaching to the window's API: %v", err)
	}
	defer other.Close()
	sites, err := other.ListSites(context.Background())
	if err != nil || len(sites) != 1 {
		t.Fatalf("the window's sites through its socket: %v, %v", sites, err)
	}
	var a2 *guitest.App
	a.Locked(func() { a2 = guitest.NewApp(t) }) // the first window's results wait
	defer a2.Quit()
	adm2, stop2, err := startLocked(context.Background(), a2, data)
	if err != nil {
		t.Fatalf("a second Administrator: %v", err)
	}
	defer stop2()
	defer adm2.Close()
	eventually(t, "the second window says it is attached", func() bool {
		return strings.Contains(screen(adm2.Window()), "Attached to the site service")
	})
	adm.Close()
	stop()
	if _, err := os.Lstat(adminapi.Address(data)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the window's socket outlived it: %v", err)
	}
}
