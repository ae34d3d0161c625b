package share

import (
	"errors"
	"io/fs"
	"testing"
)

var cleanNameCases = []struct {
	in, want string
	ok       bool
}{
	{"", ".", true},
	{".", ".", true},
	{"a", "a", true},
	{"a/b/c.txt", "a/b/c.txt", true},
	{"a//./b/", "a/b", true},
	{"with space/ü ✓", "with space/ü ✓", true},
	{"a..b", "a..b", true},
	{"..", "", false},
	{"../x", "", false},
	{"a/../b", "", false},
	{"/abs", "", false},
	{`a\b`, "", false},
	{"a\x00b", "", false},
}

func TestCleanName(t *testing.T) {
	for _, tc := range cleanNameCases {
		got, err := CleanName(tc.in)
		if tc.ok && (err != nil || got != tc.want) {
			t.Errorf("CleanName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if !tc.ok && !errors.Is(err, fs.ErrInvalid) {
			t.Errorf("CleanName(%q) = %q, %v; want an fs.ErrInvalid error", tc.in, got, err)
		}
	}
}

func FuzzCleanName(f *testing.F) {
	for _, tc := range cleanNameCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := CleanName(in)
		if err != nil {
			return
		}
		again, err := CleanName(got)
		if err != nil || again != got {
			t.Fatalf("CleanName(%q) = %q, which cleans again to %q, %v", in, got, again, err)
		}
		for _, seg := range splitSlash(got) {
			if seg == ".." || (seg == "." && got != ".") || seg == "" {
				t.Fatalf("CleanName(%q) = %q holds %q", in, got, seg)
			}
		}
	})
}

func splitSlash(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '/' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{
		"a.tzst.tmp-0123abcd":       true,
		"dir/a.tzst.tmp-x":          true,
		"share.tmp-1":               true,
		".tmp-x":                    true,
		"a.tzst":                    false,
		"a.tmp":                     false,
		"tmp-x":                     false,
		"a.tmp-x/b.txt":             false, // only the last element counts
		tempName("S0100012/x.tzst"): true,
	} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %v", name, got)
		}
	}
}
