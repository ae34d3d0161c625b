package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestTargetStringParsesBack: every target's string reads back as the same
// target, the +subsites form included.
func TestTargetStringParsesBack(t *testing.T) {
	for _, want := range []Target{
		{Kind: TargetSite, Name: "S01"},
		{Kind: TargetSite, Name: "S01", Subsites: true},
		{Kind: TargetGroup, Name: "Accounting"},
		{Kind: TargetComputer, Name: "PC001"},
	} {
		got, err := ParseTarget(want.String())
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", want.String(), got, err, want)
		}
	}
}

func TestTitles(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{JobRun.Title(), "Run Command On Workstation"},
		{JobShare.Title(), "Share Package On Server"},
		{JobRemove.Title(), "Remove Package From Server"},
		{JobState("").Title(), "Pending"},
		{JobRetrying.Title(), "Retrying"},
		{TargetState("").String(), "none"},
		{TargetOffered.Title(), "Offered"},
		{PriorityHigh.Title(), "High"},
		{RepeatBiweekly.Title(), "Every two weeks"},
		{Target{Kind: TargetSite, Name: "S01", Subsites: true}.Title(), "Site S01 and its sub-sites"},
		{Target{Kind: TargetGroup, Name: "Accounting"}.Title(), "Machine group Accounting"},
		{Package{Name: "Hello OpenSMS", Version: "1.0"}.Title(), "Hello OpenSMS 1.0"},
		{Package{Name: "Test Pkg"}.Title(), "Test Pkg"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KB", 1536: "1.5 KB", 230 << 20: "230 MB", 3 << 30: "3 GB", 5 << 40: "5 TB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestUnsetTimesOmitted: a job that has not run prints no 0001-01-01.
func TestUnsetTimesOmitted(t *testing.T) {
	j := Job{ID: "S0100001", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "0001-01-01") || !strings.Contains(string(b), "2026-01-02") {
		t.Errorf("job JSON: %s", b)
	}
	var back Job
	if err := json.Unmarshal(b, &back); err != nil || !back.Created.Equal(j.Created) || !back.Status.Activated.IsZero() {
		t.Errorf("read back %+v, %v", back, err)
	}
}

func TestDefaultDataDir(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/cfg")
	t.Setenv("HOME", "/home/x")
	if got, err := DefaultDataDir(SiteDataName); err != nil || !strings.HasSuffix(got, "/opensms") {
		t.Errorf("DefaultDataDir = %q, %v", got, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "")
	if _, err := DefaultDataDir(ClientDataName); err == nil || !strings.Contains(err.Error(), "give --data DIR") {
		t.Errorf("without a config dir: %v", err)
	}
}

func TestParseExitCodes(t *testing.T) {
	for in, want := range map[string]string{"": "[]", "0": "[0]", "0,1": "[0 1]", " 0; 3010 1641 ": "[0 3010 1641]", "-1,2": "[-1 2]"} {
		got, err := ParseExitCodes(in)
		if err != nil || fmt.Sprint(nonNilInts(got)) != want {
			t.Errorf("ParseExitCodes(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	if _, err := ParseExitCodes("0,x"); err == nil || err.Error() != `"x" is not a whole number` || !errors.Is(err, ErrInvalid) {
		t.Errorf("ParseExitCodes(0,x): %v", err)
	}
	if got := (Credentials{Domain: "CORP", User: "bob"}).Login(); got != `CORP\bob` {
		t.Errorf("Login = %q", got)
	}
}

func nonNilInts(s []int) []int {
	if s == nil {
		return []int{}
	}
	return s
}
