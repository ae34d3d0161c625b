package main

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
)

// TestJobStatusShowsCleanOutput is finding 6 of issue 14 through smsctl:
// a client's error and output reached `job status` raw, so escape
// sequences reached the administrator's terminal and could fake lines.
// Now job status shows, for a computer that failed, the last lines of its
// output, without control characters.
func TestJobStatusShowsCleanOutput(t *testing.T) {
	c, smb, pkg := sambaFixture(t)
	id := strings.TrimSpace(c.ok("job", "add", "--package", pkg, "--target", "site:S01"))
	c.ok("watchdog", "run-once")

	// PC001's client: its inventory registers its key, then its status.
	_, key, _ := ed25519.GenerateKey(nil)
	site := smb.Dir("SITE")
	inv, err := protocol.EncodeInventory(key, protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: "PC001", Site: "S01", OS: "linux", Arch: "amd64", Time: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(site, "inventory"), 0o755)
	os.WriteFile(filepath.Join(site, "inventory", "PC001.json"), inv, 0o644)
	code := 2
	st, err := protocol.EncodeStatus(key, protocol.Status{Format: protocol.StatusFormat, Job: id, Computer: "PC001", Generation: 1,
		State: model.TargetFailed, ExitCode: &code, Attempts: 1, Written: time.Now(),
		Error:      "exit code 2\x1b[2K\rsmsctl: job complete on every computer",
		OutputTail: "copying files\r\n\x1b[31merror:\x1b[0m disk full\n\x1b]0;pwned\x07done\n"})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(site, "status", "PC001"), 0o755)
	os.WriteFile(filepath.Join(site, "status", "PC001", id+".json"), st, 0o644)
	c.ok("watchdog", "run-once")

	out := c.ok("job", "status", id)
	if strings.ContainsAny(out, "\x1b\x07\r") {
		t.Fatalf("job status prints control characters:\n%q", out)
	}
	for _, want := range []string{
		"exit code 2[2K smsctl: job complete on every computer",
		"output:",
		"copying files",
		"[31merror:[0m disk full",
		"]0;pwneddone",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("job status lacks %q:\n%s", want, out)
		}
	}
}
