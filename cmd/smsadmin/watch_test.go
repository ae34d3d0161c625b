//go:build !windows

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"

	coreadmin "opensms/core/admin"
	"opensms/gui/guitest"
	"opensms/storage/adminapi"
)

// smsctl runs the built smsctl against data and returns what it printed.
func smsctl(t *testing.T, bin, data string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"--data", data}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("smsctl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// changesReachTheWindow adds, changes, renames and removes a package, a
// site and a group with smsctl processes and waits for the open window to show each:
// the Watch stream carries them, and nobody reopens a window.
func changesReachTheWindow(t *testing.T, w fyne.Window, bin, data string) {
	t.Helper()
	shows := func(what, text string, want bool) {
		t.Helper()
		eventually(t, what, func() bool { return strings.Contains(screen(w), text) == want })
	}
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	id := smsctl(t, bin, data, "package", "add", "--name", "Watched Package", "--version", "1", "--source", src)
	shows("the Packages window shows the package smsctl added", "Watched Package", true)
	smsctl(t, bin, data, "package", "command", "add", id, "--command-name", "Watched Install", "--command", "sh install.sh", "--platform", "any")
	shows("the Packages window shows the command line smsctl added", "Watched Install", true)
	smsctl(t, bin, data, "site", "add", "--code", "S08", "--name", "Watched Branch", "--share", "file://"+t.TempDir())
	shows("the Sites window shows the site smsctl added", "Watched Branch", true)
	smsctl(t, bin, data, "group", "add", "--name", "Watched Group")
	shows("the Machine Groups window shows the group smsctl added", "Watched Group", true)

	smsctl(t, bin, data, "group", "rename", "Watched Group", "Renamed Group")
	shows("the windows show the group's new name", "Renamed Group", true)
	shows("the windows drop the group's old name", "Watched Group", false)

	smsctl(t, bin, data, "package", "rm", id)
	shows("the package smsctl removed leaves the Packages window", "Watched Package", false)
	smsctl(t, bin, data, "group", "rm", "Renamed Group")
	shows("the group smsctl removed leaves the windows", "Renamed Group", false)
	smsctl(t, bin, data, "site", "rm", "S08")
	shows("the site smsctl removed leaves the Sites window", "Watched Branch", false)
}

// TestSmsctlChangesReachAWindowAttachedToTheSiteService: a real site
// service, a window attached to it, and smsctl processes changing the site.
func TestSmsctlChangesReachAWindowAttachedToTheSiteService(t *testing.T) {
	bin := buildSmsctl(t)
	data := filepath.Join(t.TempDir(), "data")
	startService(t, bin, data)
	ctx := context.Background()
	api, err := adminapi.Attach(ctx, data, version)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	if _, err := api.AddSite(ctx, coreadmin.SiteRequest{Code: "S07", Name: "Served Site", Share: "file://" + t.TempDir()}); err != nil {
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
	eventually(t, "the window is attached and shows the service's site", func() bool {
		sc := screen(adm.Window())
		return strings.Contains(sc, "Attached to the site service") && strings.Contains(sc, "Served Site")
	})
	changesReachTheWindow(t, adm.Window(), bin, data)
}

// TestSmsctlChangesReachTheWindowItAttachesTo: no site service; smsctl
// attaches to the window, which runs the site itself.
func TestSmsctlChangesReachTheWindowItAttachesTo(t *testing.T) {
	bin := buildSmsctl(t)
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
	changesReachTheWindow(t, adm.Window(), bin, data)
}
