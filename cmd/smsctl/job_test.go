package main

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/sambatest"
)

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Time
		err  bool
	}{
		{in: "", want: time.Time{}},
		{in: "now", want: now},
		{in: "+30m", want: now.Add(30 * time.Minute)},
		{in: "+2h", want: now.Add(2 * time.Hour)},
		{in: "+1d", want: now.Add(24 * time.Hour)},
		{in: "+1d12h", want: now.Add(36 * time.Hour)},
		{in: " +90s ", want: now.Add(90 * time.Second)},
		{in: "2026-12-01T08:00:00Z", want: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{in: "2026-12-01T08:00:00+02:00", want: time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)},
		{in: "+", err: true},
		{in: "+-2h", err: true},
		{in: "+xd", err: true},
		{in: "+2", err: true},
		{in: "tomorrow", err: true},
		{in: "2026-12-01", err: true},
		{in: "+99999d", err: true},
	}
	for _, c := range cases {
		got, err := parseWhen(c.in, now)
		if c.err {
			if err == nil {
				t.Errorf("parseWhen(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"+30m", "+1d12h", "2026-12-01T08:00:00Z", "now", "+", "+xd"} {
		f.Add(s)
	}
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseWhen(s, now)
		if err == nil && strings.HasPrefix(strings.TrimSpace(s), "+") && got.Before(now) {
			t.Errorf("parseWhen(%q) = %v, before now", s, got)
		}
	})
}

// samba is a data dir whose site and one default server are shares of a
// real smbd, with one computer and one package.
func sambaFixture(t *testing.T) (*cli, *sambatest.Server, string) {
	smb := sambatest.Start(t, sambatest.Options{Shares: []string{"SITE", "DIST1"}})
	c := newCLI(t)
	cred := smb.Credentials()
	c.env = []string{"SMSCTL_TEST_PW=" + cred.Password.Reveal()}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo hi\n"), 0o644)
	c.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", smb.URL("SITE"), "--password-env", "SMSCTL_TEST_PW")
	c.ok("server", "add", "--site", "S01", "--name", "DIST1", "--url", smb.URL("DIST1"), "--password-env", "SMSCTL_TEST_PW", "--default")
	c.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", "linux/amd64")
	id := strings.TrimSpace(c.ok("package", "add", "--name", "Hello", "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", "linux/amd64", "--automated"))
	return c, smb, id
}

// job add → watchdog run-once → the client reports → run-once → complete,
// all through the smsctl binary against real Samba.
func TestJobThroughSmsctl(t *testing.T) {
	c, smb, pkg := sambaFixture(t)

	for _, bad := range [][]string{
		{"job", "add", "--package", pkg},
		{"job", "add", "--package", pkg, "--target", "bogus"},
		{"job", "add", "--package", pkg, "--target", "site:S09"},
		{"job", "add", "--package", "S0199999", "--target", "site:S01"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--command", "Nope"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--start-after", "tomorrow"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--priority", "urgent"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--repeat", "hourly"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--servers", "all"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--servers", "group:Nobody"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--deferrals", "-1"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--offer-after", "+2h", "--expires-after", "+1h"},
		{"job", "add", "--package", pkg, "--target", "site:S01", "--type", "share", "--command", "Install"},
		{"job", "status", "S0199999"},
		{"job", "cancel", "S0199999"},
	} {
		if r := c.run(bad...); r.code != 2 || r.stderr == "" {
			t.Errorf("smsctl %s: want exit 2 with a sentence, got %s", strings.Join(bad, " "), r)
		}
	}
	if out := strings.TrimSpace(c.ok("job", "list", "--json")); out != "[]" {
		t.Fatalf("bad input added a job: %s", out)
	}

	id := strings.TrimSpace(c.ok("job", "add", "--package", pkg, "--target", "site:S01", "--priority", "high", "--deferrals", "1", "--expires-after", "+1d"))
	var jobs []model.Job
	c.okJSON(&jobs, "job", "list")
	if len(jobs) != 1 || jobs[0].ID != id || jobs[0].Status.State != model.JobPending || jobs[0].Run.Command != "Install" || jobs[0].Run.Deferrals != 1 || jobs[0].Run.ExpiresAfter.IsZero() {
		t.Fatalf("job list --json = %+v", jobs)
	}

	out := c.ok("watchdog", "run-once")
	for _, want := range []string{"activated", "packed package", "is on server S01/DIST1", "offered to 1 computer"} {
		if !strings.Contains(out, want) {
			t.Errorf("run-once output lacks %q:\n%s", want, out)
		}
	}
	status := c.ok("job", "status", id)
	for _, want := range []string{"state:", "active", "sending:", "working:", "server S01/DIST1:", "complete", "computer PC001:", "offered"} {
		if !strings.Contains(status, want) {
			t.Errorf("job status lacks %q:\n%s", want, status)
		}
	}
	// The active job uses DIST1 and the package: neither may go, and the
	// refusal names the job.
	for _, rm := range [][]string{{"server", "rm", "--site", "S01", "DIST1"}, {"package", "rm", pkg}} {
		if r := c.run(rm...); r.code != 2 || !strings.Contains(r.stderr, "is used by job "+id+", which is active: cancel it or wait until it finishes") {
			t.Errorf("smsctl %s while job %s is active: %s", strings.Join(rm, " "), id, r)
		}
	}
	// Unset times are left out of JSON, not printed as year 1.
	if out := c.ok("job", "status", id, "--json"); strings.Contains(out, "0001-01-01") || !strings.Contains(out, `"activated"`) || strings.Contains(out, `"finished"`) {
		t.Errorf("job status --json of an active job:\n%s", out)
	}

	// The key the share's files are signed with is the one key show prints.
	fp := strings.TrimSpace(c.ok("key", "show"))
	data, err := os.ReadFile(filepath.Join(smb.Dir("SITE"), protocol.SiteFile))
	if err != nil {
		t.Fatal(err)
	}
	info, err := protocol.DecodeSite(data)
	if err != nil || protocol.Fingerprint(ed25519.PublicKey(info.PublicKey)) != fp || !strings.HasPrefix(fp, "SHA256:") {
		t.Errorf("key show %q, site.json key %v (%v)", fp, protocol.Fingerprint(info.PublicKey), err)
	}
	if r := c.run("key", "show", "--site", "S09"); r.code != 2 {
		t.Errorf("key show of a missing site: %s", r)
	}

	// The client reports through the share's folder.
	// Its inventory registers its key first; its status is signed with it.
	_, pcKey, _ := ed25519.GenerateKey(nil)
	inv, err := protocol.EncodeInventory(pcKey, protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: "PC001", Site: "S01", OS: "linux", Arch: "amd64", Time: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(smb.Dir("SITE"), "inventory"), 0o755)
	if err := os.WriteFile(filepath.Join(smb.Dir("SITE"), "inventory", "PC001.json"), inv, 0o644); err != nil {
		t.Fatal(err)
	}
	code := 0
	st, err := protocol.EncodeStatus(pcKey, protocol.Status{Format: protocol.StatusFormat, Job: id, Computer: "PC001", Generation: 1,
		State: model.TargetComplete, ExitCode: &code, Attempts: 1, Written: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(smb.Dir("SITE"), "status", "PC001")
	os.MkdirAll(dir, 0o755)
	if err := os.WriteFile(filepath.Join(dir, id+".json"), st, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := c.ok("watchdog", "run-once"); !strings.Contains(out, "complete on 1 computer: 1 succeeded") {
		t.Errorf("second run-once:\n%s", out)
	}
	var view struct {
		Job       model.Job            `json:"job"`
		Computers []model.TargetStatus `json:"computers"`
	}
	c.okJSON(&view, "job", "status", id)
	if view.Job.Status.State != model.JobComplete || len(view.Computers) != 1 || view.Computers[0].State != model.TargetComplete || *view.Computers[0].ExitCode != 0 {
		t.Errorf("job status --json = %+v", view)
	}
	if r := c.run("job", "cancel", id); r.code != 2 || !strings.Contains(r.stderr, "already complete") {
		t.Errorf("cancel of a complete job: %s", r)
	}

	// Cancel and remove.
	later := strings.TrimSpace(c.ok("job", "add", "--package", pkg, "--target", "computer:pc001", "--start-after", "+1d", "--repeat", "weekly"))
	c.ok("job", "cancel", later)
	c.okJSON(&view, "job", "status", later)
	if view.Job.Status.State != model.JobCanceled || !view.Job.Cancel {
		t.Errorf("after cancel: %+v", view.Job.Status)
	}
	c.ok("job", "rm", later)
	c.ok("job", "rm", id)
	if r := c.run("job", "rm", id); r.code != 2 {
		t.Errorf("removing a removed job: %s", r)
	}
	if out := c.ok("job", "list"); !strings.Contains(out, "ID") || strings.Contains(out, id) {
		t.Errorf("job list after rm:\n%s", out)
	}
}

// watchdog serve runs cycles until SIGTERM, then stops cleanly.
func TestWatchdogServeStopsOnSignal(t *testing.T) {
	c, _, pkg := sambaFixture(t)
	id := strings.TrimSpace(c.ok("job", "add", "--package", pkg, "--target", "site:S01"))
	if r := c.run("watchdog", "serve", "--interval", "10ms"); r.code != 2 || !strings.Contains(r.stderr, "interval") {
		t.Errorf("serve with a too short interval: %s", r)
	}
	cmd := exec.Command(smsctlBin, "--data", c.data, "watchdog", "serve", "--interval", "1s")
	cmd.Env = append(os.Environ(), c.env...)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	offered := make(chan struct{})
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(logs)
		once := false
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if !once && strings.Contains(sc.Text(), "offered to 1 computer") {
				once = true
				close(offered)
			}
		}
	}()
	select {
	case <-offered:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve never offered the job; log:\n%s", seen.String())
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, seen.String())
		}
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not stop on SIGTERM")
	}
	var view struct {
		Job model.Job `json:"job"`
	}
	c.okJSON(&view, "job", "status", id)
	if view.Job.Status.State != model.JobActive {
		t.Errorf("job after serve: %+v", view.Job.Status)
	}
}
