// Package demo fills an empty store with a small working site, so that a
// newcomer who starts the Administrator for the first time sees something at
// once: site S01 with its site share and a distribution server in local
// folders under the data directory, this computer as a client, and a
// package "Hello OpenSMS" that writes a file into the user's home.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"opensms/core/model"
)

// Names of what Ensure creates.
const (
	SiteCode    = "S01"
	SiteName    = "Demo Site"
	ServerName  = "local"
	PackageName = "Hello OpenSMS"
	CommandName = "Install"
)

// Folders under dataDir/demo.
const (
	dirSiteShare = "site-share"
	dirDist      = "dist"
	dirHello     = "hello"
)

// installSh and installCmd are the demo package's installers. They write
// into the user's home, not anywhere that needs an administrator.
const installSh = `#!/bin/sh
# Hello OpenSMS: the demo package. It leaves a note in $HOME/opensms-demo/.
set -e
mkdir -p "$HOME/opensms-demo"
printf 'Hello from OpenSMS: installed on %s at %s\n' "$(hostname)" "$(date)" > "$HOME/opensms-demo/hello.txt"
echo "wrote $HOME/opensms-demo/hello.txt"
`

const installCmd = "@echo off\r\n" +
	"rem Hello OpenSMS: the demo package. It leaves a note in %USERPROFILE%\\opensms-demo\\.\r\n" +
	"if not exist \"%USERPROFILE%\\opensms-demo\" mkdir \"%USERPROFILE%\\opensms-demo\"\r\n" +
	"echo Hello from OpenSMS: installed on %COMPUTERNAME% at %DATE% %TIME%> \"%USERPROFILE%\\opensms-demo\\hello.txt\"\r\n" +
	"echo wrote %USERPROFILE%\\opensms-demo\\hello.txt\r\n"

// Ensure creates the demo site when the store has no site at all, and
// reports whether it did. A store with any site is left alone, so Ensure is
// safe to call on every start. When a write fails, what Ensure had already
// written is taken out again, so the next start tries afresh rather than
// finding half a demo.
func Ensure(ctx context.Context, st model.Store, dataDir string) (created bool, err error) {
	sites, err := st.ListSites(ctx)
	if err != nil {
		return false, fmt.Errorf("demo: listing sites: %w", err)
	}
	if len(sites) > 0 {
		return false, nil
	}
	root, err := filepath.Abs(filepath.Join(dataDir, "demo"))
	if err != nil {
		return false, fmt.Errorf("demo: %w", err)
	}
	if err := writeFiles(root); err != nil {
		return false, err
	}

	now := time.Now().UTC()
	site := model.Site{Code: SiteCode, Name: SiteName, Share: fileURL(filepath.Join(root, dirSiteShare)), Created: now}
	server := model.Server{Site: SiteCode, Name: ServerName, URL: fileURL(filepath.Join(root, dirDist)), Default: true}
	computer := model.Computer{Name: ComputerName(), Site: SiteCode, Platform: ThisPlatform()}
	cmd := Command()
	pkg := model.Package{
		Name:     PackageName,
		Version:  "1.0",
		Comment:  "The demo package: writes hello.txt into opensms-demo in the user's home folder.",
		Source:   filepath.Join(root, dirHello),
		Commands: []model.CommandLine{cmd},
		Created:  now,
		Updated:  now,
	}
	for _, v := range []interface{ Validate() error }{site, server, computer, pkg} {
		if err := v.Validate(); err != nil {
			return false, fmt.Errorf("demo: %w", err)
		}
	}

	var undo []func(context.Context) error
	defer func() {
		if err == nil {
			return
		}
		// Undo with a fresh context: ctx may be what was canceled.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, u := range slices.Backward(undo) {
			if uerr := u(uctx); uerr != nil {
				err = errors.Join(err, fmt.Errorf("demo: undoing: %w", uerr))
			}
		}
	}()
	if err := st.PutSite(ctx, site); err != nil {
		return false, fmt.Errorf("demo: adding site %s: %w", SiteCode, err)
	}
	undo = append(undo, func(c context.Context) error { return st.DeleteSite(c, SiteCode) })
	if err := st.PutServer(ctx, server); err != nil {
		return false, fmt.Errorf("demo: adding server %s: %w", ServerName, err)
	}
	undo = append(undo, func(c context.Context) error { return st.DeleteServer(c, SiteCode, ServerName) })
	if err := st.PutComputers(ctx, computer); err != nil {
		return false, fmt.Errorf("demo: adding computer %s: %w", computer.Name, err)
	}
	undo = append(undo, func(c context.Context) error { return st.DeleteComputer(c, computer.Name) })
	p, err := st.CreatePackage(ctx, pkg)
	if err != nil {
		return false, fmt.Errorf("demo: adding package %q: %w", PackageName, err)
	}
	undo = append(undo, func(c context.Context) error { return st.DeletePackage(c, p.ID) })
	if _, err := st.AppendEvent(ctx, model.Event{Severity: model.SevInfo, Site: SiteCode, Package: p.ID,
		Message: fmt.Sprintf("created the demo site %s with server %s, computer %s and package %s", SiteCode, ServerName, computer.Name, p.ID)}); err != nil {
		return false, fmt.Errorf("demo: logging: %w", err)
	}
	return true, nil
}

// writeFiles makes the demo's folders and the package's installers.
func writeFiles(root string) error {
	for _, d := range []string{dirSiteShare, dirDist, dirHello} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return fmt.Errorf("demo: making folder: %w", err)
		}
	}
	files := []struct {
		name, body string
		mode       os.FileMode
	}{
		{"install.sh", installSh, 0o755},
		{"install.cmd", installCmd, 0o644},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(root, dirHello, f.name), []byte(f.body), f.mode); err != nil {
			return fmt.Errorf("demo: writing the demo package: %w", err)
		}
	}
	return nil
}

// Command is the demo package's one command line, for the platforms of
// this computer's family: install.cmd on Windows, install.sh elsewhere
// (the client runs commands with cmd /c and sh -c).
func Command() model.CommandLine {
	c := model.CommandLine{Name: CommandName, Automated: true}
	if runtime.GOOS == "windows" {
		c.Command = "install.cmd"
		c.Platforms = []model.Platform{"windows/amd64", "windows/arm64", "windows/386"}
	} else {
		c.Command = "sh install.sh"
		c.Platforms = []model.Platform{"linux/amd64", "linux/arm64", "darwin/arm64", "darwin/amd64"}
	}
	c.ApplyDefaults()
	return c
}

// ThisPlatform is this computer's platform, or "" when the model does not
// list it (the computer's first inventory fills it in).
func ThisPlatform() model.Platform {
	p := model.Platform(runtime.GOOS + "/" + runtime.GOARCH)
	if slices.Contains(model.Platforms, p) {
		return p
	}
	return ""
}

// ComputerName is this computer's host name as a computer name: the first
// label, upper case, with characters a name may not hold replaced by '-'.
func ComputerName() string {
	h, _ := os.Hostname()
	h, _, _ = strings.Cut(h, ".")
	b := []byte(model.NormalizeComputerName(h))
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			b[i] = '-'
		}
	}
	if len(b) > model.MaxNameLen {
		b = b[:model.MaxNameLen]
	}
	if len(b) == 0 {
		return "DEMO-PC"
	}
	return string(b)
}

// fileURL is the file:// location of a local folder. A Windows path
// (C:\x) becomes file:///C:/x.
func fileURL(dir string) string {
	p := filepath.ToSlash(dir)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return model.Location{Scheme: "file", Path: p}.String()
}
