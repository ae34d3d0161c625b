package main

// install-service: the site service (and, with the same code, the client
// agent) as a system service that starts at boot and restarts after a
// failure: a systemd unit on Linux, a Windows service on Windows.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
)

// serviceSpec is one service to install: the smsctl verb it runs on a
// data directory.
type serviceSpec struct {
	Name        string   // e.g. opensms-site-1a2b3c4d (unique per data directory)
	Description string   // one line
	Exe         string   // absolute path of this smsctl
	Data        string   // absolute data directory
	Args        []string // the verb, e.g. watchdog serve --interval 60s
	User        string   // the account it runs as ("" = root / LocalSystem)
	// UMask is the unit's file mode mask ("" = 0077: what the service
	// writes is its own alone).
	UMask string
}

// command is the full command line, each argument as it is passed.
func (s serviceSpec) command() []string {
	return append([]string{s.Exe, "--data", s.Data}, s.Args...)
}

// newServiceSpec describes the service prefix runs for e's data directory:
// this smsctl, the absolute data path, and the user running the install
// (root: none, so it runs as root or LocalSystem).
func newServiceSpec(e *env, prefix, description string, args []string) (serviceSpec, error) {
	dir, err := e.DataDir()
	if err != nil {
		return serviceSpec{}, err
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return serviceSpec{}, fmt.Errorf("finding the full path of %s: %w", dir, err)
	}
	exe, err := os.Executable()
	if err != nil {
		return serviceSpec{}, fmt.Errorf("finding this program's path: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(exe); err == nil {
		exe = resolved
	}
	s := serviceSpec{
		Name:        serviceName(prefix, abs),
		Description: description + " for " + abs,
		Exe:         exe,
		Data:        abs,
		Args:        args,
	}
	if runtime.GOOS != "windows" && os.Geteuid() != 0 {
		if u, err := user.Current(); err == nil {
			s.User = u.Username
		}
	}
	return s, nil
}

// serviceName is the service's name for the absolute data directory abs:
// one service per data directory, so a machine may run several sites.
func serviceName(prefix, abs string) string {
	sum := sha256.Sum256([]byte(abs))
	return prefix + "-" + hex.EncodeToString(sum[:4])
}

// systemdUnit is the unit file for s.
func systemdUnit(s serviceSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s.service: written by smsctl install-service\n", s.Name)
	b.WriteString("[Unit]\n")
	fmt.Fprintf(&b, "Description=%s\n", strings.ReplaceAll(s.Description, "%", "%%"))
	b.WriteString("After=network-online.target\nWants=network-online.target\n\n")
	b.WriteString("[Service]\nType=simple\n")
	quoted := make([]string, 0, len(s.command()))
	for _, a := range s.command() {
		quoted = append(quoted, systemdQuote(a))
	}
	fmt.Fprintf(&b, "ExecStart=%s\n", strings.Join(quoted, " "))
	if s.User != "" {
		fmt.Fprintf(&b, "User=%s\n", s.User)
	}
	// SIGTERM stops it within 10 s (socket gone, cycle at a point it
	// resumes from, store closed); systemd waits 15 s before SIGKILL.
	b.WriteString("KillSignal=SIGTERM\nTimeoutStopSec=15\nRestart=on-failure\nRestartSec=5\n")
	umask := s.UMask
	if umask == "" {
		umask = "0077"
	}
	fmt.Fprintf(&b, "UMask=%s\nNoNewPrivileges=yes\n\n", umask)
	b.WriteString("[Install]\nWantedBy=multi-user.target\n")
	return b.String()
}

// systemdQuote quotes one ExecStart argument when it needs it (systemd
// splits on spaces and reads \, " and $ itself; % is a specifier).
func systemdQuote(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if s != "" && !strings.ContainsAny(s, " \t\"'\\$;") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`)
	return `"` + r.Replace(s) + `"`
}

// installServiceVerb is the install-service verb for the service that
// prefix names and args run; tune, if given, adjusts the spec.
func installServiceVerb(prefix, description string, args func() []string, tune ...func(*serviceSpec)) func(fs *flag.FlagSet) runFunc {
	return func(fs *flag.FlagSet) runFunc {
		print := fs.Bool("print", false, "print what would be installed and change nothing")
		return func(ctx context.Context, e *env, _ []string) error {
			s, err := newServiceSpec(e, prefix, description, args())
			if err != nil {
				return err
			}
			for _, t := range tune {
				t(&s)
			}
			if *print {
				return printService(e, s)
			}
			return installService(ctx, e, s)
		}
	}
}
