package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/storage/sambatest"
)

// TestShareFailuresSayWhatToDo enrols against a real Samba with a wrong
// password and against a port where nothing listens: each error names what
// failed (the SMB layer's words) and then what to change, and never holds
// the password.
func TestShareFailuresSayWhatToDo(t *testing.T) {
	smb := sambatest.Start(t, sambatest.Options{Shares: []string{"SITE"}})
	const wrong = "WrongPw123-not-it"
	t.Setenv("QA_PW", wrong)
	for _, tc := range []struct {
		name, url, user string
		want            string
	}{
		{"wrong password", smb.URL("SITE"), "", "check the user name and the password (--user or the URL's user@; --password-env or --password-stdin)"},
		{"nothing listens", "smb://127.0.0.1:1/SITE", "u", "check the server's name and port and that it is on, then try again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPcmLocal(t)
			args := []string{"pcm", "enroll", "--site-share", tc.url, "--password-env", "QA_PW", "--name", "PC001", "--trust", p.fp}
			if tc.user != "" {
				args = append(args, "--user", tc.user)
			}
			r := p.run("", args...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit 1 and %q; got %s", tc.want, r)
			}
			if strings.Contains(r.stdout+r.stderr, wrong) {
				t.Errorf("the password is in the output: %s", r)
			}
		})
	}
}

// TestRefusedInstructionsAreSaidOnce: pcm list on a tampered instruction
// file printed the refusal twice, once as a log line and once as smsctl's
// sentence.
func TestRefusedInstructionsAreSaidOnce(t *testing.T) {
	p := newPcmLocal(t)
	p.want(0, "S01 (Head Office)", "", "pcm", "enroll", "--site-share", p.site, "--name", "PC001", "--trust", p.fp)
	ins := filepath.Join(p.site, "instructions", "PC001.ins")
	data, err := os.ReadFile(ins)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte(`"payload": "`)) + len(`"payload": "`)
	data[i] ^= 1 // one bit of the signed payload
	if err := os.WriteFile(ins, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := p.run("", "pcm", "list")
	if r.code != 1 || strings.Count(r.stderr, "instructions refused") != 1 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("want exit 1 and the refusal once, on one line; got %s", r)
	}
}
