//go:build !windows

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"opensms/core/model"
)

// The update verbs change what their flags give and keep the rest: the
// stored password above all, which the API never sends back. Run embedded,
// then attached to a site service, where the password reads as a mask.
func TestUpdateVerbsKeepWhatTheyAreNotGiven(t *testing.T) {
	c, id := fixture(t)

	c.ok("site", "update", "S01", "--name", "Head Office 2")
	var s model.Site
	c.okJSON(&s, "site", "show", "S01")
	if s.Name != "Head Office 2" || s.Share != "smb://siteserver/SMS_SITE" || s.Credentials.User != "smsadmin" || s.Credentials.Password.IsZero() {
		t.Errorf("after site update --name: %+v", s)
	}

	c.ok("server", "update", "--site", "s01", "DIST1", "--default=false")
	var servers []model.Server
	c.okJSON(&servers, "server", "list")
	if len(servers) != 1 || servers[0].Default || servers[0].URL != `smb://dist1:4445/SMS_PKG/pkgs` || servers[0].Credentials.User != "smsadmin" || servers[0].Credentials.Password.IsZero() {
		t.Errorf("after server update --default=false: %+v", servers)
	}

	c.ok("computer", "update", "pc001", "--platform", "linux/arm64")
	var pc model.Computer
	c.okJSON(&pc, "computer", "show", "PC001")
	if pc.Platform != "linux/arm64" || pc.Site != "S01" {
		t.Errorf("after computer update --platform: %+v", pc)
	}

	c.ok("group", "rename", "Accounting", "Finance")
	var g model.MachineGroup
	c.okJSON(&g, "group", "show", "Finance")
	if g.Name != "Finance" || !slices.Equal(g.Members, []string{"PC001"}) {
		t.Errorf("after group rename: %+v", g)
	}
	if r := c.run("group", "show", "Accounting"); r.code == 0 {
		t.Errorf("the old name is still a group: %s", r)
	}

	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo moved\n"), 0o644)
	c.ok("package", "source", id, "--source", src)
	var p model.Package
	c.okJSON(&p, "package", "show", id)
	if p.Source != src || len(p.Commands) != 1 || p.Commands[0].Name != "Install" || p.Name != "Hello" {
		t.Errorf("after package source: %+v", p)
	}

	// Attached, the stored passwords come back as masks and still stay.
	startService(t, c.data, "--interval", "1h")
	c.ok("site", "update", "S01", "--name", "Head Office 3")
	c.ok("server", "update", "--site", "S01", "dist1", "--default")
	if out := c.ok("site", "show", "S01"); !strings.Contains(out, "Head Office 3") || !fieldIs(out, "password:", "set") {
		t.Errorf("attached site update:\n%s", out)
	}
	c.okJSON(&servers, "server", "list")
	if len(servers) != 1 || !servers[0].Default || servers[0].Credentials.Password.IsZero() {
		t.Errorf("attached server update: %+v", servers)
	}
}

// fieldIs reports whether out has the line "key value" (tab-aligned).
func fieldIs(out, key, value string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, key) && strings.TrimSpace(strings.TrimPrefix(l, key)) == value {
			return true
		}
	}
	return false
}
