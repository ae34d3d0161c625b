//go:build !windows

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// unitDir is where system units an administrator installs live.
const unitDir = "/etc/systemd/system"

func printService(e *env, s serviceSpec) error {
	fmt.Fprint(e.stdout, systemdUnit(s))
	return nil
}

// installService writes the unit, then enables and starts it with
// systemctl. Writing it needs root; the unit still runs as the user who
// asked (User=) unless that was root.
func installService(ctx context.Context, e *env, s serviceSpec) error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("install-service knows systemd (Linux) and Windows; on %s start 'smsctl --data %s %s' from the system's own service manager (--print shows the systemd unit as a model)", runtime.GOOS, s.Data, strings.Join(s.Args, " "))
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("installing a system service writes %s and needs root: run it with sudo (the service will still run as %s), or use --print and install the unit by hand", unitDir, s.User)
	}
	path := filepath.Join(unitDir, s.Name+".service")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(systemdUnit(s)), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", "--now", s.Name + ".service"}} {
		out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput()
		if err != nil {
			msg := strings.Join(strings.Fields(strings.ReplaceAll(strings.TrimSpace(string(out)), "\n", "; ")), " ")
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				msg = err.Error()
			}
			return fmt.Errorf("wrote %s, but 'systemctl %s' failed: %s", path, strings.Join(args, " "), msg)
		}
	}
	fmt.Fprintf(e.stdout, "installed and started %s (%s); 'systemctl status %s' shows it\n", s.Name, path, s.Name)
	return nil
}

// asService returns ctx unchanged: on Unix a service manager stops the
// service with SIGTERM, which main already turns into ctx ending.
func asService(ctx context.Context, _ string) (context.Context, func()) {
	return ctx, func() {}
}
