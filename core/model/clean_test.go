package model

import "testing"

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, line, text string }{
		{"plain", "plain", "plain"},
		{"\x1b[2J\x1b[31mred\x1b[0m", "[2J[31mred[0m", "[2J[31mred[0m"},
		{"a\r\nb\rc\nd\te", "a  b c d e", "a\nb\nc\nd\te"},
		{"title \x1b]0;owned\x07 bell", "title ]0;owned bell", "title ]0;owned bell"},
		{"C1 \u009b2J and DEL \x7f", "C1 2J and DEL", "C1 2J and DEL "},
		{"bidi \u202egnp.exe", "bidi gnp.exe", "bidi gnp.exe"},
		{"bad \xff utf8", "bad  utf8", "bad  utf8"},
		{"  fake log line\n2026-01-01 INFO all good  ", "fake log line 2026-01-01 INFO all good", "  fake log line\n2026-01-01 INFO all good  "},
	} {
		if got := CleanLine(c.in); got != c.line {
			t.Errorf("CleanLine(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := CleanText(c.in); got != c.text {
			t.Errorf("CleanText(%q) = %q, want %q", c.in, got, c.text)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("\x1b[2J\r\n\u202e\x00")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{CleanLine(s), CleanText(s)} {
			for _, r := range out {
				if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r < 0xa0) || r == '\u202e' {
					t.Fatalf("clean(%q) kept %U", s, r)
				}
			}
		}
	})
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\nc\n", 2, "b\nc"},
		{"a\nb\nc", 5, "a\nb\nc"},
		{"", 3, ""},
		{"one", 1, "one"},
	} {
		if got := LastLines(c.in, c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
