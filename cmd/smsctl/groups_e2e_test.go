package main

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"opensms/core/model"
)

// Issue 16's "done when", through the smsctl binary against real Samba and
// three real client engines: P's rule holds on PC001 only, so P is in
// PC001's installed and not PC002's without P ever being offered; the
// inventory shows memory and CPUs; a query group of the computers without
// P has only PC002; a job to it is offered to PC002 and not PC001; PC003,
// enrolled afterwards without P, is offered the running job within two
// cycles; a query that does not compile is refused with a sentence.
func TestQueryGroupsEndToEnd(t *testing.T) {
	s := newPcmSite(t)
	here := runtime.GOOS + "/" + runtime.GOARCH
	s.admin.ok("computer", "add", "--site", "S01", "--name", "PC002", "--platform", here)

	// P: its rule is a file that only PC001's environment points at.
	withP, withoutP := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(withP, "p.txt"), []byte("P"), 0o644)
	pSrc := t.TempDir()
	os.WriteFile(filepath.Join(pSrc, "install.sh"), []byte("exit 0\n"), 0o644)
	p := strings.TrimSpace(s.admin.ok("package", "add", "--name", "P", "--version", "1.0", "--source", pSrc,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", here, "--automated"))
	s.admin.ok("package", "detect", "add", p, "--kind", "file-exists", "--path", "$OSMS_E2E_P/p.txt")
	s.admin.ok("watchdog", "run-once") // site.json and the rules

	client := func(name, pDir string) *cli {
		c := &cli{t: t, data: filepath.Join(t.TempDir(), "client-"+name)}
		c.env = append(slices.Clone(s.client.env), "OSMS_E2E_P="+pDir)
		c.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", name, "--trust", s.fp)
		return c
	}
	pc1, pc2 := client("PC001", withP), client("PC002", withoutP)
	s.admin.ok("watchdog", "run-once") // collects both inventories

	show := func(name string) model.Computer {
		t.Helper()
		var c model.Computer
		s.admin.okJSON(&c, "computer", "show", name)
		if c.Inventory == nil {
			t.Fatalf("%s has no inventory: %+v", name, c)
		}
		return c
	}
	c1, c2 := show("PC001"), show("PC002")
	if !slices.Contains(c1.Inventory.Installed, p) || slices.Contains(c2.Inventory.Installed, p) {
		t.Fatalf("installed: PC001 %v, PC002 %v; want %s only on PC001", c1.Inventory.Installed, c2.Inventory.Installed, p)
	}
	if c1.Inventory.Memory == 0 || c1.Inventory.CPUs < 1 {
		t.Fatalf("PC001's inventory has no memory or CPUs: %+v", c1.Inventory)
	}
	if out := s.admin.ok("computer", "show", "PC001"); !strings.Contains(out, "memory:") || !strings.Contains(out, "installed:") || !strings.Contains(out, p) {
		t.Errorf("computer show PC001:\n%s", out)
	}

	// A query that does not compile: exit 2, one sentence, nothing stored.
	before := s.admin.snapshot()
	bad := s.admin.run("group", "add", "--name", "Broken", "--query", "installed ++ (")
	if bad.code != 2 || !strings.Contains(bad.stderr, "does not compile") || !strings.Contains(bad.stderr, "column") {
		t.Fatalf("a query that does not compile: %s", bad)
	}
	if s.admin.snapshot() != before {
		t.Fatal("a refused query changed the store")
	}

	s.admin.ok("group", "add", "--name", "Missing", "--query", `not ("`+p+`" in installed)`)
	s.admin.ok("watchdog", "run-once")
	members := func() []string {
		t.Helper()
		var g model.MachineGroup
		s.admin.okJSON(&g, "group", "show", "Missing")
		return g.Members
	}
	if m := members(); !slices.Equal(m, []string{"PC002"}) {
		t.Fatalf("group Missing has %v, want [PC002]", m)
	}
	if out := s.admin.ok("group", "show", "Missing"); !strings.Contains(out, "PC002") || !strings.Contains(out, "joined") {
		t.Errorf("group show Missing:\n%s", out)
	}

	// A job to the group: offered to PC002, not to PC001.
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo installing\n"), 0o644)
	q := strings.TrimSpace(s.admin.ok("package", "add", "--name", "Fix", "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", here, "--automated"))
	job := strings.TrimSpace(s.admin.ok("job", "add", "--package", q, "--target", "group:Missing"))
	s.admin.ok("watchdog", "run-once")
	offered := func(c *cli) bool {
		t.Helper()
		return strings.Contains(c.ok("pcm", "list"), job)
	}
	if !offered(pc2) || offered(pc1) {
		t.Fatalf("job %s: offered to PC002 %v, to PC001 %v; want only PC002", job, offered(pc2), offered(pc1))
	}
	if strings.Contains(pc1.ok("pcm", "list"), p) {
		t.Fatalf("package %s was offered", p)
	}

	// PC003 enrols afterwards without P: offered the running job within
	// two cycles.
	s.admin.ok("computer", "add", "--site", "S01", "--name", "PC003", "--platform", here)
	pc3 := client("PC003", withoutP)
	cycles := 0
	for cycles < 2 && !offered(pc3) {
		s.admin.ok("watchdog", "run-once")
		cycles++
	}
	if !offered(pc3) {
		t.Fatalf("PC003 was not offered job %s within two cycles", job)
	}
	var view struct {
		Job       model.Job            `json:"job"`
		Computers []model.TargetStatus `json:"computers"`
	}
	s.admin.okJSON(&view, "job", "status", job)
	names := []string{}
	for _, c := range view.Computers {
		names = append(names, c.Computer)
		if c.Joined.IsZero() {
			t.Errorf("computer %s of job %s has no joined time", c.Computer, job)
		}
	}
	if !slices.Equal(names, []string{"PC002", "PC003"}) {
		t.Fatalf("job %s's computers %v, want PC002 and PC003", job, names)
	}
	if out := s.admin.ok("job", "status", job); !strings.Contains(out, "PC003") {
		t.Errorf("job status:\n%s", out)
	}
}
