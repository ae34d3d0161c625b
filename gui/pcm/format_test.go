package pcm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestSentence(t *testing.T) {
	for _, c := range []struct {
		doing string
		err   error
		want  string
	}{
		{"could not refresh the offers", errors.New("connecting to \\\\h\\s: server unreachable"), "Could not refresh the offers: connecting to \\\\h\\s: server unreachable."},
		{"", errors.New("the command exited with code 1."), "The command exited with code 1."},
		{"could not run X", fmt.Errorf("line one\nline two\t end"), "Could not run X: line one line two end."},
		{"", errors.New("élan"), "Élan."},
		{"x", nil, ""},
	} {
		if got := sentence(c.doing, c.err); got != c.want {
			t.Errorf("sentence(%q, %v) = %q, want %q", c.doing, c.err, got, c.want)
		}
	}
}

func TestProgressOf(t *testing.T) {
	for _, c := range []struct {
		p     Progress
		frac  float64
		label string
	}{
		{Progress{Step: StepDownload, Done: 500, Total: 1000, Server: "DIST1"}, 0.125, "Step 1 of 4: Downloading from DIST1 (500 B of 1000 B)"},
		{Progress{Step: StepVerify, Done: 1000, Total: 1000}, 0.5, "Step 2 of 4: Verifying (1000 B of 1000 B)"},
		{Progress{Step: StepUnpack, Done: 3}, 0.5, "Step 3 of 4: Unpacking (3 files)"},
		{Progress{Step: StepUnpack, Done: 3, Total: 6}, 0.625, "Step 3 of 4: Unpacking (3 of 6 files)"},
		{Progress{Step: StepRun, Output: "x"}, 0.75, "Step 4 of 4: Running"},
		{Progress{Step: StepDownload, Done: 2000, Total: 1000}, 0.25, "Step 1 of 4: Downloading (2 KB of 1000 B)"},
	} {
		frac, label := progressOf(c.p)
		if frac != c.frac || label != c.label {
			t.Errorf("progressOf(%+v) = %v %q, want %v %q", c.p, frac, label, c.frac, c.label)
		}
	}
}

func TestCountdownAndDeferralTexts(t *testing.T) {
	for _, c := range []struct {
		left time.Duration
		want string
	}{
		{5 * time.Minute, "P is mandatory and will run in 5:00."},
		{61500 * time.Millisecond, "P is mandatory and will run in 1:02."},
		{-time.Second, "P is mandatory and will run in 0:00."},
	} {
		if got := countdownText("P", c.left); got != c.want {
			t.Errorf("countdownText(%v) = %q, want %q", c.left, got, c.want)
		}
	}
	for n, want := range map[int]string{0: "It cannot be postponed any more.", 1: "You may postpone it once more.", 3: "You may postpone it 3 more times."} {
		if got := deferralsText(n); got != want {
			t.Errorf("deferralsText(%d) = %q", n, got)
		}
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1024: "1 KB", 123456: "120.6 KB", 5 << 30: "5 GB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{}).Defaults().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	c := Config{Countdown: time.Millisecond}.Defaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "Countdown") {
		t.Fatalf("1ms countdown: %v", err)
	}
}

// tailCases double as the fuzz seeds.
var tailCases = []struct {
	in   string
	n    int
	want string
}{
	{"abc", 10, "abc"},
	{"line1\nline2\nline3\n", 8, "line3\n"},
	{"xxxxxxxxxx", 4, "xxxx"},
	{"a\nb", 2, "b"},
	{"ab€", 2, ""},
	{"a€b", 4, "€b"},
}

func TestTail(t *testing.T) {
	for _, c := range tailCases {
		if got := tail(c.in, c.n); got != c.want {
			t.Errorf("tail(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func FuzzTail(f *testing.F) {
	for _, c := range tailCases {
		f.Add(c.in, c.n)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := tail(s, n)
		if len(got) > n && len(s) > n || !strings.HasSuffix(s, got) {
			t.Fatalf("tail(%q, %d) = %q", s, n, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("tail(%q, %d) = %q cuts a character", s, n, got)
		}
	})
}
