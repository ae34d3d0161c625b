package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The model speaks for itself: every front end shows a job type, a state or
// a target with these, so that the window, smsctl and the events say the
// same words. String is the form typed on a command line and read back by
// the Parse functions; Title is the form shown to a person.

// String returns the type as typed: run, share or remove.
func (t JobType) String() string { return string(t) }

// Title returns SMS 1.2's name for the job type.
func (t JobType) Title() string {
	switch t {
	case JobShare:
		return "Share Package On Server"
	case JobRemove:
		return "Remove Package From Server"
	}
	return "Run Command On Workstation"
}

// String returns the state in lower case; a job never moved is pending.
func (s JobState) String() string {
	if s == "" {
		return string(JobPending)
	}
	return string(s)
}

// Title returns the state capitalised: "Pending", "Active", ….
func (s JobState) Title() string { return upperFirst(s.String()) }

// String returns the state in lower case; an unset state is none.
func (s TargetState) String() string {
	if s == "" {
		return string(TargetNone)
	}
	return string(s)
}

// Title returns the state capitalised: "Offered", "Complete", ….
func (s TargetState) Title() string { return upperFirst(s.String()) }

// Title returns the phase state capitalised, or "" when the phase has not
// begun.
func (p PhaseState) Title() string { return upperFirst(string(p)) }

// Title returns the priority capitalised: "High", "Medium", "Low".
func (p Priority) Title() string { return upperFirst(string(p)) }

// Title returns the severity capitalised: "Info", "Warning", "Error".
func (s Severity) Title() string { return upperFirst(string(s)) }

// Title returns the repeat interval as SMS 1.2 listed it.
func (r Repeat) Title() string {
	switch r {
	case RepeatDaily:
		return "Daily"
	case RepeatWeekly:
		return "Weekly"
	case RepeatBiweekly:
		return "Every two weeks"
	case RepeatMonthly:
		return "Monthly"
	}
	return "Never"
}

// subsitesSuffix marks a site target that includes its sub-sites.
const subsitesSuffix = "+subsites"

// String returns the target as ParseTarget reads it: site:S01,
// site:S01+subsites, group:NAME or computer:NAME.
func (t Target) String() string {
	s := string(t.Kind) + ":" + t.Name
	if t.Subsites {
		s += subsitesSuffix
	}
	return s
}

// Title returns the target in words: "Site S01 and its sub-sites",
// "Machine group Accounting", "Computer PC001".
func (t Target) Title() string {
	switch t.Kind {
	case TargetSite:
		if t.Subsites {
			return "Site " + t.Name + " and its sub-sites"
		}
		return "Site " + t.Name
	case TargetGroup:
		return "Machine group " + t.Name
	case TargetComputer:
		return "Computer " + t.Name
	}
	return t.Name
}

// Title returns the package's name and version as a person reads them:
// "Hello OpenSMS 1.0", or the name alone while it has no version (not
// "Hello " with a space where the version would be).
func (p Package) Title() string {
	return strings.TrimSpace(p.Name + " " + p.Version)
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// FormatBytes says a size as a person reads it: "512 B", "1.5 KB",
// "230.4 MB", in powers of 1024 as Windows Explorer counts them.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; (m >= unit || m <= -unit) && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/float64(div)), ".0") + " " + string("KMGTP"[exp]) + "B"
}

// Data directory names under the user's configuration directory. The site
// (Administrator, smsctl, the site service) and the client (PCM, the agent)
// keep separate stores so that a computer that is both never mixes them.
const (
	SiteDataName   = "opensms"
	ClientDataName = "opensms-client"
)

// DefaultDataDir is where a store lives when --data is not given: the
// user's configuration directory + name (SiteDataName or ClientDataName).
// Without a configuration directory it says so in a sentence that tells the
// user what to give instead.
func DefaultDataDir(name string) (string, error) {
	cfg, err := os.UserConfigDir()
	if err == nil && cfg == "" {
		err = errors.New("it is empty")
	}
	if err != nil {
		return "", fmt.Errorf("cannot find the user's config directory (%v); give --data DIR", err)
	}
	return filepath.Join(cfg, name), nil
}

// Login returns the credentials' user as typed: DOMAIN\user, or user.
func (c Credentials) Login() string {
	if c.Domain != "" && c.User != "" {
		return c.Domain + `\` + c.User
	}
	return c.User
}

// ParseExitCodes reads exit codes separated by commas, semicolons or
// spaces, as a command line's success and reboot codes are typed: "0, 1".
// Nothing typed is no codes (the defaults apply).
func ParseExitCodes(s string) ([]int, error) {
	var cs []int
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' }) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, invalidf("%q is not a whole number", f)
		}
		cs = append(cs, n)
	}
	return cs, nil
}
