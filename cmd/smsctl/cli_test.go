package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"

	"opensms/core/model"
)

// The framework is tested in-process with a command registered only in the
// test binary; the real commands are tested end to end in *_e2e_test.go.
func init() {
	register(command{
		Name:    "fake",
		Summary: "a command for the framework's tests",
		Verbs: []verb{
			{Name: "echo", NArgs: -1, Summary: "print args and flags", Setup: func(fs *flag.FlagSet) runFunc {
				n := fs.Int("n", 0, "a number")
				pw := passwordFlags(fs)
				return func(ctx context.Context, e *env, args []string) error {
					s, err := pw.read(e)
					if err != nil {
						return err
					}
					fmt.Fprintf(e.stdout, "args=%q n=%d json=%v data=%s pw=%v\n", args, *n, e.json, e.dataDir, s.Reveal() != "")
					return nil
				}
			}},
			{Name: "deep verb", Args: "X", NArgs: 1, Summary: "a two-word verb", Setup: func(fs *flag.FlagSet) runFunc {
				return func(ctx context.Context, e *env, args []string) error {
					fmt.Fprintf(e.stdout, "deep %s\n", args[0])
					return nil
				}
			}},
			{Name: "fail", Summary: "fail at run time", Setup: func(fs *flag.FlagSet) runFunc {
				return func(ctx context.Context, e *env, args []string) error {
					return errors.New("the disk is on fire")
				}
			}},
			{Name: "missing", Summary: "not found is bad input", Setup: func(fs *flag.FlagSet) runFunc {
				return func(ctx context.Context, e *env, args []string) error {
					return fmt.Errorf("site %q: %w", "X01", model.ErrNotFound)
				}
			}},
		},
	})
}

func runFake(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb,
		open: func(string) (model.Store, error) { return nil, errors.New("no store in this test") }}
	code := run(context.Background(), args, e)
	return code, out.String(), errb.String()
}

func TestFramework(t *testing.T) {
	t.Setenv("FAKE_PW", "hunter2")
	cases := []struct {
		args     []string
		stdin    string
		code     int
		out, err string // substrings
	}{
		{args: []string{"fake", "echo", "a", "--n", "3", "b"}, out: `args=["a" "b"] n=3`},
		{args: []string{"--json", "fake", "echo"}, out: "json=true"},
		{args: []string{"fake", "echo", "--json", "--data", "/x"}, out: "json=true data=/x"},
		{args: []string{"fake", "--data=/y", "echo"}, out: "data=/y"},
		{args: []string{"fake", "echo", "--", "--n"}, out: `args=["--n"] n=0`},
		{args: []string{"fake", "deep", "verb", "z"}, out: "deep z"},
		{args: []string{"fake", "echo", "--password-env", "FAKE_PW"}, out: "pw=true"},
		{args: []string{"fake", "echo", "--password-stdin"}, stdin: "s3cret\r\nmore", out: "pw=true"},
		{args: []string{"fake", "echo", "--password-env", "NOPE_UNSET_VAR"}, code: 2, err: "NOPE_UNSET_VAR named by --password-env is not set; see 'smsctl fake echo --help'"},
		{args: []string{"fake", "echo", "--password-env", "FAKE_PW", "--password-stdin"}, code: 2, err: "not both"},
		{args: []string{"fake", "echo", "--password-stdin"}, code: 2, err: "empty password"},
		{args: []string{"fake", "echo", "--n", "x"}, code: 2, err: "see 'smsctl fake echo --help'"},
		{args: []string{"fake", "deep", "verb"}, code: 2, err: "needs X"},
		{args: []string{"fake", "deep", "verb", "a", "b"}, code: 2, err: "takes only X"},
		{args: []string{"fake", "fail", "x"}, code: 2, err: "takes no arguments"},
		{args: []string{"fake", "fail"}, code: 1, err: "smsctl: the disk is on fire\n"},
		{args: []string{"fake", "missing"}, code: 2, err: `site "X01": not found; see 'smsctl fake missing --help'`},
		{args: []string{"fake"}, code: 2, err: "needs one of: echo, deep verb, fail, missing"},
		{args: []string{"fake", "nope"}, code: 2, err: `has no verb "nope"`},
		{args: []string{"nope"}, code: 2, err: `unknown command "nope"; see 'smsctl help'`},
		{args: []string{}, code: 2, err: "no command given"},
		{args: []string{"--bogus"}, code: 2, err: "flag provided but not defined"},
		{args: []string{"help"}, out: "a command for the framework's tests"},
		{args: []string{"--help"}, out: "usage: smsctl"},
		{args: []string{"fake", "--help"}, out: "deep verb X  a two-word verb"},
		{args: []string{"help", "fake"}, out: "verbs:"},
		{args: []string{"fake", "echo", "--help"}, out: "--password-env VAR"},
		{args: []string{"help", "fake", "deep", "verb"}, out: "usage: smsctl fake deep verb [flags] X"},
		{args: []string{"help", "fake", "x"}, code: 2, err: `no verb "x"`},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, errs := runFake(t, c.stdin, c.args...)
			if code != c.code || !strings.Contains(out, c.out) || !strings.Contains(errs, c.err) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant stdout ⊇ %q, stderr ⊇ %q", code, c.code, out, errs, c.out, c.err)
			}
			if c.code != 0 && strings.Count(errs, "\n") != 1 {
				t.Errorf("stderr should be one line, got %q", errs)
			}
			if strings.Contains(out+errs, "hunter2") || strings.Contains(out+errs, "s3cret") {
				t.Errorf("a password was printed")
			}
		})
	}
}

func TestReadLineLeavesTheRest(t *testing.T) {
	r := strings.NewReader("first\nsecond\n")
	line, err := readLine(r)
	if err != nil || line != "first" {
		t.Fatalf("readLine = %q, %v", line, err)
	}
	if r.Len() != len("second\n") {
		t.Errorf("readLine consumed past the newline: %d bytes left", r.Len())
	}
}
