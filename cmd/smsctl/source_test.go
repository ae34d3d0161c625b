package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/pack/packtest"
	"opensms/storage/sambatest"
)

// Issue 17's done-when through the smsctl binary against a real Samba: a
// source on a port nobody listens on, with a wrong password or a missing
// folder is refused at package add (and import) with a sentence naming the
// share, exit 2, the password nowhere, package list unchanged; a source
// smb://USER@127.0.0.1:PORT/SRC/dir is sent into the archive a local copy
// packs to; a Share Package On Server job for share name TOOLS puts the
// tree under TOOLS/ on the distribution share.
func TestShareSourceThroughSmsctl(t *testing.T) {
	smb := sambatest.Start(t, sambatest.Options{Shares: []string{"SITE", "DIST1", "SRC"}})
	cred := smb.Credentials()
	const wrong = "Wrong-Source-Pw-42"
	c := newCLI(t)
	c.env = []string{"SMSCTL_TEST_PW=" + cred.Password.Reveal(), "SMSCTL_WRONG_PW=" + wrong}
	c.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", smb.URL("SITE"), "--password-env", "SMSCTL_TEST_PW")
	c.ok("server", "add", "--site", "S01", "--name", "DIST1", "--url", smb.URL("DIST1"), "--password-env", "SMSCTL_TEST_PW", "--default")
	c.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", "linux/amd64")

	local := t.TempDir()
	packtest.ShareTree(t, map[string]string{
		"install.sh":       "echo installed from a share\n",
		"data/payload.bin": strings.Repeat("payload ", 20000),
		"data/sub/x.txt":   "x\n",
	}, nil, filepath.Join(smb.Dir("SRC"), "tools"), local)
	want, _, err := pack.PackFile(t.Context(), local, t.TempDir(), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}

	good := fmt.Sprintf("smb://%s@127.0.0.1:%d/SRC/tools", cred.User, smb.Port())
	before := c.ok("package", "list", "--json")
	add := func(source string, extra ...string) []string {
		return append([]string{"package", "add", "--name", "Tools", "--version", "1", "--source", source, "--share-name", "TOOLS",
			"--command-name", "Install", "--command", "sh install.sh", "--platform", "linux/amd64", "--automated"}, extra...)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"nobody listens", add(fmt.Sprintf("smb://%s@127.0.0.1:1/SRC/tools", cred.User), "--source-password-env", "SMSCTL_TEST_PW"),
			`package source \\127.0.0.1:1\SRC\tools: nothing answers at 127.0.0.1:1`},
		{"wrong password", add(good, "--source-password-env", "SMSCTL_WRONG_PW"),
			fmt.Sprintf(`\\127.0.0.1:%d\SRC\tools refused the login as %s`, smb.Port(), cred.User)},
		{"missing folder", add(strings.Replace(good, "/tools", "/nothing-here", 1), "--source-password-env", "SMSCTL_TEST_PW"),
			fmt.Sprintf(`\\127.0.0.1:%d\SRC\nothing-here does not exist`, smb.Port())},
		{"import, wrong password", []string{"package", "import", filepath.Join(pdfTestdata, "test-application.sms"), "--source", good, "--source-password-env", "SMSCTL_WRONG_PW"},
			`refused the login`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "package source") {
				t.Errorf("want exit 2 and %q; got %s", tc.want, r)
			}
			if strings.Contains(r.stdout+r.stderr, wrong) || strings.Contains(r.stdout+r.stderr, cred.Password.Reveal()) {
				t.Errorf("a password is in the output: %s", r)
			}
		})
	}
	if after := c.ok("package", "list", "--json"); after != before {
		t.Fatalf("a refused source stored a package:\n%s", after)
	}

	id := strings.TrimSpace(c.ok(add(good, "--source-password-env", "SMSCTL_TEST_PW")...))
	show := c.ok("package", "show", id)
	if !strings.Contains(show, fmt.Sprintf(`\\127.0.0.1:%d\SRC\tools`, smb.Port())) || !strings.Contains(show, cred.User) || strings.Contains(show, cred.Password.Reveal()) {
		t.Errorf("package show:\n%s", show)
	}

	job := strings.TrimSpace(c.ok("job", "add", "--package", id, "--target", "site:S01"))
	if out := c.ok("watchdog", "run-once"); !strings.Contains(out, "packed package "+id) {
		t.Fatalf("run-once:\n%s", out)
	}
	var jobs []model.Job
	c.okJSON(&jobs, "job", "list")
	var archive string
	for _, j := range jobs {
		if j.ID == job {
			archive = j.Status.Archive
		}
	}
	if archive != want.SHA256 {
		t.Fatalf("archive of the share source %s, of a local copy %s", archive, want.SHA256)
	}
	if _, err := os.Stat(filepath.Join(smb.Dir("DIST1"), id, want.SHA256+".tzst")); err != nil {
		t.Errorf("the archive is not on DIST1: %v", err)
	}

	c.ok("job", "add", "--package", id, "--target", "site:S01", "--type", "share")
	c.ok("watchdog", "run-once")
	if b, err := os.ReadFile(filepath.Join(smb.Dir("DIST1"), "TOOLS", "data", "sub", "x.txt")); err != nil || string(b) != "x\n" {
		t.Errorf("TOOLS/data/sub/x.txt on DIST1: %q, %v", b, err)
	}
}
