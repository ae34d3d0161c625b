//go:build !windows

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"opensms/core/model"
)

const backupPassphrase = "correct horse battery staple"

// TestBackupRestore is the "done when" of issue 14's backups: backup ->
// restore into a new directory gives the same jobs and the same site key
// fingerprint; a wrong passphrase is refused and restores nothing; the file
// holds neither the passphrase nor any password in clear.
func TestBackupRestore(t *testing.T) {
	c, pkg := fixture(t)
	c.env = append(c.env, "BK_PW="+backupPassphrase, "BAD_PW=not the passphrase at all")
	c.ok("job", "add", "--package", pkg, "--target", "site:S01")
	jobs := c.ok("job", "list", "--json")
	key := c.ok("key", "show")
	before := c.snapshot()

	file := filepath.Join(t.TempDir(), "site.backup")
	if r := c.run("backup", file); r.code != 2 || !strings.Contains(r.stderr, "--passphrase-env is required") {
		t.Errorf("backup without a passphrase: %s", r)
	}
	if out := c.ok("backup", file, "--passphrase-env", "BK_PW"); !strings.Contains(out, "wrote the site in "+c.data+" to "+file) {
		t.Errorf("backup said %q", out)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{backupPassphrase, testPassword} {
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("the backup holds %q in clear", secret)
		}
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("the backup's mode is %v, want 0600", fi.Mode().Perm())
	}
	if r := c.run("backup", file, "--passphrase-env", "BK_PW"); r.code != 2 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("a second backup over the first: %s", r)
	}

	wrong := &cli{t: t, data: filepath.Join(t.TempDir(), "wrong"), env: c.env}
	if r := wrong.run("restore", file, "--passphrase-env", "BAD_PW"); r.code != 2 || !strings.Contains(r.stderr, "the passphrase does not open "+file) {
		t.Errorf("restore with a wrong passphrase: %s", r)
	}
	if _, err := os.Stat(wrong.data); err == nil {
		t.Error("a refused restore made the data directory")
	}
	if r := c.run("restore", file, "--passphrase-env", "BK_PW"); r.code == 0 || !strings.Contains(r.stderr, "restore into an empty data directory") {
		t.Errorf("restore over the live store: %s", r)
	}
	cut := filepath.Join(t.TempDir(), "cut.backup")
	os.WriteFile(cut, data[:len(data)-10], 0o600)
	if r := wrong.run("restore", cut, "--passphrase-env", "BK_PW"); r.code == 0 {
		t.Errorf("restore of a backup cut short: %s", r)
	}

	restored := &cli{t: t, data: filepath.Join(t.TempDir(), "restored"), env: c.env}
	if out := restored.ok("restore", file, "--passphrase-env", "BK_PW"); !strings.Contains(out, "into "+restored.data) {
		t.Errorf("restore said %q", out)
	}
	if got := restored.ok("job", "list", "--json"); got != jobs {
		t.Errorf("jobs after restore:\n%s\nwant\n%s", got, jobs)
	}
	if got := restored.ok("key", "show"); got != key {
		t.Errorf("site key after restore %q, want %q", got, key)
	}
	if got := restored.snapshot(); got != before {
		t.Errorf("sites, servers, computers, groups or packages differ after restore:\n%s\nwant\n%s", got, before)
	}
	if out := restored.ok("site", "show", "S01"); !strings.Contains(out, "set") {
		t.Errorf("the site's password did not come back:\n%s", out)
	}
}

// TestBackupWhileTheSiteServiceRuns: a site that runs around the clock is
// backed up through its service, which holds the store; the backup
// restores to the same jobs and key.
func TestBackupWhileTheSiteServiceRuns(t *testing.T) {
	c, pkg := fixture(t)
	c.env = append(c.env, "BK_PW="+backupPassphrase)
	c.ok("job", "add", "--package", pkg, "--target", "site:S01")
	jobs, key := c.ok("job", "list", "--json"), c.ok("key", "show")
	svc := startService(t, c.data, "--interval", "1h")
	file := filepath.Join(t.TempDir(), "site.backup")
	c.ok("backup", file, "--passphrase-env", "BK_PW")
	if code := svc.stop(syscall.SIGTERM); code != 0 {
		t.Errorf("the service exited %d", code)
	}
	restored := &cli{t: t, data: filepath.Join(t.TempDir(), "restored"), env: c.env}
	restored.ok("restore", file, "--passphrase-env", "BK_PW")
	// The service may have moved the job on meanwhile: the same jobs, of
	// the same packages.
	ids := func(js string) string {
		var list []model.Job
		if err := json.Unmarshal([]byte(js), &list); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, j := range list {
			b.WriteString(j.ID + " " + j.Package + " " + j.Target.String() + "\n")
		}
		return b.String()
	}
	if got, want := ids(restored.ok("job", "list", "--json")), ids(jobs); got != want || want == "" {
		t.Errorf("jobs after restore:\n%s\nwant\n%s", got, want)
	}
	if got := restored.ok("key", "show"); got != key {
		t.Errorf("site key after restore %q, want %q", got, key)
	}
}

// TestPcmBackupRestore: the client store comes back with its enrolment
// (password and computer key included) and its history.
func TestPcmBackupRestore(t *testing.T) {
	p := newPcmLocal(t)
	p.want(0, "S01 (Head Office)", "", "pcm", "enroll", "--site-share", p.site, "--name", "pc001", "--trust", p.fp)
	p.want(0, "", "", "pcm", "run", "S0100011")
	show := p.want(0, p.fp, "", "pcm", "show").stdout
	history := p.want(0, "S0100011", "", "pcm", "history", "--json").stdout

	t.Setenv("PCM_BK_PW", backupPassphrase)
	file := filepath.Join(t.TempDir(), "client.backup")
	p.want(0, "wrote the client store", "", "pcm", "backup", file, "--passphrase-env", "PCM_BK_PW")
	p.want(2, "", "is a backup of a client store, not of a site store", "restore", file, "--passphrase-env", "PCM_BK_PW")

	p.data = filepath.Join(t.TempDir(), "restored")
	p.want(0, "restored the client store", "", "pcm", "restore", file, "--passphrase-env", "PCM_BK_PW")
	if got := p.want(0, "", "", "pcm", "show").stdout; got != show {
		t.Errorf("pcm show after restore:\n%s\nwant\n%s", got, show)
	}
	if got := p.want(0, "", "", "pcm", "history", "--json").stdout; got != history {
		t.Errorf("history after restore:\n%s\nwant\n%s", got, history)
	}
}
