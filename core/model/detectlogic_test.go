package model

import (
	"errors"
	"strings"
	"testing"
)

func TestParseDetectionLogic(t *testing.T) {
	for _, c := range []struct {
		in    string
		rules int
		want  string // String() of the result, or the error's words
		bad   bool
	}{
		{"", 0, "", false},
		{"", 1, "1", false},
		{"  ", 3, "1 AND 2 AND 3", false},
		{"1 and (2 or not 3)", 3, "1 AND (2 OR NOT 3)", false},
		{"1 or 2 and 3", 3, "1 OR (2 AND 3)", false},
		{"((1))OR(2)", 2, "1 OR 2", false},
		{"NOT (1 OR 2)", 2, "NOT (1 OR 2)", false},
		{"not not 1", 1, "NOT NOT 1", false},
		{"1 and", 1, "ends where a rule number", true},
		{"1 2", 2, `"2" is not expected`, true},
		{"(1", 1, "( is not closed", true},
		{"1 or 3", 2, `"3" is not a rule number from 1 to 2`, true},
		{"+1", 1, "not a rule number", true},
		{"File 1", 1, `"File" is not a rule number`, true},
		{"1", 2, "does not name rule 2", true},
		{"1", 0, "the package has none", true},
		{strings.Repeat("(", 40) + "1" + strings.Repeat(")", 40), 1, "nests deeper", true},
		{strings.Repeat("not ", 40) + "1", 1, "nests deeper", true},
		{strings.Repeat("1 or ", 300) + "1", 1, "characters long", true},
	} {
		l, err := ParseDetectionLogic(c.in, c.rules)
		if c.bad {
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%q: error %v, want one saying %q", c.in, err, c.want)
			}
			continue
		}
		if err != nil || l.String() != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, l.String(), err, c.want)
			continue
		}
		if again, err := ParseDetectionLogic(l.String(), c.rules); err != nil || again.String() != c.want {
			t.Errorf("%q written back as %q does not read the same: %q, %v", c.in, c.want, again.String(), err)
		}
	}
}

func TestLogicWithoutRule(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"1 AND (2 OR NOT 3)", 2, "1 AND NOT 2"},
		{"1 AND (2 OR NOT 3)", 3, "1 AND 2"},
		{"1 OR 2", 1, "1"},
		{"NOT 1", 1, ""},
		{"(1 OR 2) AND 3", 1, "1 AND 2"},
	} {
		rules := strings.Count(c.in, "1") + strings.Count(c.in, "2") + strings.Count(c.in, "3")
		l, err := ParseDetectionLogic(c.in, rules)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.WithoutRule(c.n).String(); got != c.want {
			t.Errorf("%q without %d = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestPackageValidateLogic(t *testing.T) {
	p := Package{Name: "P", Source: "/src", Detection: []DetectionRule{{Kind: RuleFileExists, Path: "/a"}}, DetectionLogic: "1 or 2"}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "1 or 2") {
		t.Fatalf("a logic naming a missing rule was accepted: %v", err)
	}
	p.DetectionLogic = "not 1"
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}
