package pcm

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/share"
)

// sentence turns an error into the one sentence a user sees: what failed,
// prefixed by what the window was doing, capitalised, on one line, ending
// with a full stop. The engine's errors never hold a password.
func sentence(doing string, err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if errors.Is(err, errCanceled) {
		msg = "canceled"
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if doing != "" {
		msg = doing + ": " + msg
	}
	return capitalise(strings.TrimRight(msg, ".")) + "."
}

var errCanceled = errors.New("canceled")

// shareSentence says why the site share could not be read in the words a
// desk-side user can act on: a refused login, a share that is not there, a
// server that does not answer. Anything else keeps the engine's own text.
func shareSentence(siteShare, user string, err error) string {
	if cause, ok := shareCause(siteShare, user, err); ok {
		return capitalise(cause) + "."
	}
	return sentence("could not read the site share "+siteShare, err)
}

// shareCause is shareSentence's cause, lower case and without a full stop,
// or false when err is none of the share failures it knows.
func shareCause(siteShare, user string, err error) (string, bool) {
	where := siteShare
	addr := siteShare
	if loc, perr := model.ParseLocation(siteShare); perr == nil {
		where = loc.UNC()
		addr = loc.Addr()
		if user == "" {
			user = loc.User // smb://user@host/share
		}
	}
	as := ""
	if user != "" {
		as = " as " + user
	}
	switch {
	case errors.Is(err, share.ErrLogon) && user == "":
		return fmt.Sprintf("the site share %s needs a user name and password: enter the account your administrator gave you", where), true
	case errors.Is(err, share.ErrLogon):
		return fmt.Sprintf("the site share %s refused the login%s: check the user name and password", where, as), true
	case errors.Is(err, share.ErrNoShare), errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("the server answered, but there is no site share %s: check its name with your administrator", where), true
	case errors.Is(err, share.ErrUnreachable):
		return fmt.Sprintf("nothing answers at %s: check the server's name, that it is on, and this computer's network", addr), true
	}
	return "", false
}

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

const timeLayout = "2006-01-02 15:04"

// when shows a time in the user's zone, or a dash for "never".
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format(timeLayout)
}

// whenShort shows a time as "at 15:04" today and a date otherwise.
func whenShort(t time.Time) string {
	l := t.Local()
	if y, m, d := l.Date(); time.Now().Local().Format("2006-01-02") == fmt.Sprintf("%04d-%02d-%02d", y, int(m), d) {
		return "at " + l.Format("15:04")
	}
	return l.Format("Jan 2 15:04")
}

// size shows a byte count as everywhere in OpenSMS (model.FormatBytes).
func size(n int64) string { return model.FormatBytes(n) }

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func exitCode(c *int) string {
	if c == nil {
		return "—"
	}
	return fmt.Sprint(*c)
}

// rebootText says what a finished command asks of the computer. The window
// never restarts the machine; it only tells the user.
func rebootText(r model.Reboot) string {
	switch r {
	case model.RebootSoft:
		return "Soft"
	case model.RebootHard:
		return "Hard"
	case model.RebootNone:
		return "No"
	}
	return string(r)
}

// rebootLong is rebootText with what it asks of the user.
func rebootLong(r model.Reboot) string {
	switch r {
	case model.RebootSoft:
		return "Soft: restart when convenient"
	case model.RebootHard:
		return "Hard: restart now"
	}
	return rebootText(r)
}

// rebootMessage is the dialog text after a run that asks for a restart.
func rebootMessage(h HistoryEntry) string {
	name := h.PackageName
	if name == "" {
		name = h.Package
	}
	switch h.Reboot {
	case model.RebootSoft:
		return fmt.Sprintf("%s finished and needs a restart to complete. Restart your computer when it suits you.", name)
	case model.RebootHard:
		return fmt.Sprintf("%s finished and asks for a restart now. Save your work and restart your computer.", name)
	}
	return ""
}

// countdownText is the mandatory dialog's main line.
func countdownText(name string, left time.Duration) string {
	if left < 0 {
		left = 0
	}
	left = left.Round(time.Second)
	return fmt.Sprintf("%s is mandatory and will run in %d:%02d.", name, int(left/time.Minute), int(left%time.Minute/time.Second))
}

func deferralsText(left int) string {
	switch {
	case left <= 0:
		return "It cannot be postponed any more."
	case left == 1:
		return "You may postpone it once more."
	}
	return fmt.Sprintf("You may postpone it %d more times.", left)
}

// steps are the phases of a run in the order the progress bar walks them.
var steps = []Step{StepDownload, StepVerify, StepUnpack, StepRun}

// stepLabels name each phase for the user.
var stepLabels = map[Step]string{
	StepDownload: "Downloading",
	StepVerify:   "Verifying",
	StepUnpack:   "Unpacking",
	StepRun:      "Running",
}

// progressOf maps a progress report onto the whole run, each of the four
// steps taking a quarter of the bar, and says what is happening.
func progressOf(p Progress) (float64, string) {
	name := string(p.Step)
	idx := 0
	for i, s := range steps {
		if s == p.Step {
			idx = i
		}
	}
	frac := 0.0
	if p.Total > 0 {
		frac = float64(p.Done) / float64(p.Total)
		frac = min(max(frac, 0), 1)
	}
	label := stepLabels[p.Step]
	if label == "" {
		label = capitalise(name)
	}
	label = fmt.Sprintf("Step %d of %d: %s", idx+1, len(steps), label)
	if p.Step == StepDownload && p.Server != "" {
		label += " from " + p.Server
	}
	switch {
	case p.Total > 0 && (p.Step == StepDownload || p.Step == StepVerify):
		label += fmt.Sprintf(" (%s of %s)", size(p.Done), size(p.Total))
	case p.Step == StepUnpack && p.Total > 0:
		label += fmt.Sprintf(" (%d of %d files)", p.Done, p.Total)
	case p.Step == StepUnpack && p.Done > 0:
		label += fmt.Sprintf(" (%d files)", p.Done)
	}
	return (float64(idx) + frac) / float64(len(steps)), label
}

// tail keeps the last n bytes of s, cut at a line start when possible.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for len(s) > 0 && !utf8.RuneStart(s[0]) {
		s = s[1:] // never start inside a character
	}
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < len(s)-1 {
		s = s[i+1:]
	}
	return s
}

// isPending reports whether an offer still waits to be run.
func isPending(o Offer) bool {
	return o.State == OfferAvailable || o.State == OfferDue
}

func pendingCount(offers []Offer) int {
	n := 0
	for _, o := range offers {
		if isPending(o) {
			n++
		}
	}
	return n
}

// stateNames are the offers table's State column.
var stateNames = map[OfferState]string{
	OfferAvailable: "Available",
	OfferDue:       "Due now",
	OfferRunning:   "Running",
	OfferComplete:  "Complete",
	OfferFailed:    "Failed",
}

func stateText(o Offer) string {
	if o.State == OfferAvailable && o.Mandatory && !o.DueAt.IsZero() {
		return "Runs " + whenShort(o.DueAt)
	}
	if s, ok := stateNames[o.State]; ok {
		if o.State == OfferComplete && o.Last != nil && o.Last.Reboot != model.RebootNone {
			s = "Restart needed"
		}
		return s
	}
	return capitalise(string(o.State))
}

// unattended reports whether an offer is an automated system background
// task, which the client agent runs at its mandatory time by itself.
func unattended(o Offer) bool { return client.Unattended(o) }

// runsText says who runs an offer at its mandatory time: the agent by
// itself (a system background task), or this window after a countdown the
// user sees.
func runsText(o Offer, attached bool) string {
	switch {
	case unattended(o) && attached:
		return "As a system background task: the client agent runs it at its mandatory time, even with nobody logged on"
	case unattended(o):
		return "As a system background task: at its mandatory time, even with nobody logged on, once the client agent runs"
	case o.NeedsInput:
		return "Waits for you: it needs your input, so it runs only when you start it or after a countdown in this window"
	}
	return "Waits for you: it runs when you start it, or at its mandatory time after a countdown in this window"
}

// shortDuration says 5m, not 5m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
