package model

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalid is what every error from a Validate method or a Parse/Valid
// helper of this package matches with errors.Is, so that a caller can tell
// input to refuse from a store or share that failed. The error's text is the
// sentence to show; it names the field and the value.
var ErrInvalid = errors.New("invalid")

type invalidError struct{ msg string }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

func invalidf(format string, args ...any) error {
	return &invalidError{msg: fmt.Sprintf(format, args...)}
}

// Limits on names, chosen to fit NetBIOS/DNS habits and a window's columns.
const (
	MaxNameLen      = 63  // computer and server names
	MaxLabelLen     = 128 // package, site, group and command-line names
	PackageIDLen    = 8   // site code + 5
	SiteCodeLen     = 3
	packageIDSuffix = PackageIDLen - SiteCodeLen
)

// ValidSiteCode checks a site code: 3 upper-case letters or digits, as SMS had.
func ValidSiteCode(s string) error {
	if len(s) != SiteCodeLen || !isUpperAlnum(strings.ToUpper(s)) {
		return invalidf("site code %q must be 3 letters or digits", s)
	}
	if !isUpperAlnum(s) {
		return invalidf("site code %q must be upper case: %s", s, strings.ToUpper(s))
	}
	return nil
}

// ValidPackageID checks a package ID: a site code and 5 upper-case letters
// or digits, e.g. S0100012. Job IDs have the same form (see ValidJobID).
func ValidPackageID(s string) error { return validID("package", s) }

// ValidJobID checks a job ID, which has the form of a package ID.
func ValidJobID(s string) error { return validID("job", s) }

func validID(what, s string) error {
	if len(s) != PackageIDLen || !isUpperAlnum(s) {
		return invalidf("%s ID %q must be a site code and %d upper-case letters or digits, e.g. S0100012", what, s, packageIDSuffix)
	}
	return nil
}

func isUpperAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// NormalizeComputerName returns the name as OpenSMS keys it: trimmed and
// upper case, as Windows shows NetBIOS names.
func NormalizeComputerName(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// ValidComputerName checks a computer name: 1 to 63 letters, digits, '-',
// '_' or '.'.
func ValidComputerName(s string) error { return validHostName("computer", s) }

// validHostName checks a computer or server name: 1 to 63 letters, digits,
// '-', '_' or '.'.
func validHostName(what, s string) error {
	ok := len(s) >= 1 && len(s) <= MaxNameLen
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
	}
	if !ok {
		return invalidf("%s name %q must be 1 to %d letters, digits, '-', '_' or '.'", what, s, MaxNameLen)
	}
	// The name becomes a file name on the shares (instructions/NAME.ins,
	// status/NAME/): it must not name a folder itself, nor a device that
	// Windows opens instead of a file.
	if strings.Trim(s, ".") == "" || strings.HasSuffix(s, ".") {
		return invalidf("%s name %q must not be dots or end with a dot: it would not be a file name on a share", what, s)
	}
	if reservedName(s) {
		return invalidf("%s name %q is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9): choose another", what, s)
	}
	return nil
}

// reservedName reports whether s, before its first dot, is a name Windows
// reserves for a device in every folder.
func reservedName(s string) bool {
	base, _, _ := strings.Cut(strings.ToUpper(s), ".")
	switch base {
	case "CON", "PRN", "AUX", "NUL":
		return true
	}
	return len(base) == 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) && base[3] >= '1' && base[3] <= '9'
}

// validLabel checks a free-form name shown to users: not empty, no control
// characters, no spaces at either end, at most MaxLabelLen characters.
func validLabel(what, s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return invalidf("%s name must not be empty", what)
	case !utf8.ValidString(s) || hasCtl(s):
		return invalidf("%s name %q holds a control character or invalid UTF-8", what, s)
	case strings.TrimSpace(s) != s:
		return invalidf("%s name %q must not start or end with a space", what, s)
	case utf8.RuneCountInString(s) > MaxLabelLen:
		return invalidf("%s name %q is longer than %d characters", what, s, MaxLabelLen)
	}
	return nil
}

func platformList() string {
	names := make([]string, len(Platforms))
	for i, p := range Platforms {
		names[i] = string(p)
	}
	return strings.Join(names, ", ")
}

// ParsePlatform reads one GOOS/GOARCH name, case-insensitively.
func ParsePlatform(s string) (Platform, error) {
	p := Platform(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Platforms, p) {
		return "", invalidf("platform %q is not one of %s", s, platformList())
	}
	return p, nil
}

// ParsePlatforms reads a comma-separated list such as
// "linux/amd64,windows/amd64". A platform named twice is kept once.
func ParsePlatforms(s string) ([]Platform, error) {
	var out []Platform
	for _, f := range strings.Split(s, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		p, err := ParsePlatform(f)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, invalidf("platforms %q name none of %s", s, platformList())
	}
	return out, nil
}

// ParseTarget reads "site:S01", "site:S01+subsites", "group:NAME" or
// "computer:NAME", as Target.String writes them. Site codes and computer
// names are upper-cased.
func ParseTarget(s string) (Target, error) {
	kind, name, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return Target{}, invalidf("target %q must be site:CODE, group:NAME or computer:NAME", s)
	}
	t := Target{Kind: TargetKind(strings.ToLower(strings.TrimSpace(kind))), Name: strings.TrimSpace(name)}
	switch t.Kind {
	case TargetSite:
		if n, ok := strings.CutSuffix(strings.ToLower(t.Name), subsitesSuffix); ok {
			t.Name, t.Subsites = strings.TrimSpace(t.Name[:len(n)]), true
		}
		t.Name = strings.ToUpper(t.Name)
	case TargetComputer:
		t.Name = NormalizeComputerName(t.Name)
	}
	if err := t.Validate(); err != nil {
		return Target{}, err
	}
	return t, nil
}

// Validate checks the target's kind and name.
func (t Target) Validate() error {
	switch t.Kind {
	case TargetSite:
		if err := ValidSiteCode(t.Name); err != nil {
			return fmt.Errorf("target %w", err)
		}
		return nil
	case TargetGroup:
		if err := validLabel("target group", t.Name); err != nil {
			return err
		}
	case TargetComputer:
		if err := validHostName("target computer", t.Name); err != nil {
			return err
		}
	default:
		return invalidf("target kind %q is not one of site, group, computer", t.Kind)
	}
	if t.Subsites {
		return invalidf("sub-sites apply only to a site target, not to %s %q", t.Kind, t.Name)
	}
	return nil
}

// ApplyDefaults fills the exit-code lists left empty: success [0], soft
// reboot [3010], hard reboot [1641].
func (c *CommandLine) ApplyDefaults() {
	if len(c.SuccessCodes) == 0 {
		c.SuccessCodes = []int{0}
	}
	if len(c.SoftRebootCodes) == 0 {
		c.SoftRebootCodes = []int{DefaultSoftRebootCode}
	}
	if len(c.HardRebootCodes) == 0 {
		c.HardRebootCodes = []int{DefaultHardRebootCode}
	}
}

// Validate checks one command line on its own; Package.Validate also checks
// that its name is unique in the package. Errors start with the command
// line's name.
func (c CommandLine) Validate() error {
	if err := validLabel("command line", c.Name); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return fmt.Errorf("command line %q: %w", c.Name, err)
	}
	return nil
}

func (c CommandLine) validate() error {
	if strings.TrimSpace(c.Command) == "" {
		return invalidf("command must not be empty")
	}
	if hasCtl(c.Command) {
		return invalidf("command %q holds a control character", c.Command)
	}
	switch {
	case c.AnyPlatform && len(c.Platforms) > 0:
		return invalidf("it runs on any platform and also names platforms %v; choose one or the other", c.Platforms)
	case !c.AnyPlatform && len(c.Platforms) == 0:
		return invalidf("platforms must name at least one of %s, or be %s", platformList(), AnyPlatformName)
	}
	for _, p := range c.Platforms {
		if !slices.Contains(Platforms, p) {
			return invalidf("platform %q is not one of %s", p, platformList())
		}
	}
	if len(c.SuccessCodes) == 0 {
		return invalidf("success exit codes must not be empty (0 is the usual)")
	}
	// A code in two lists would make the client's verdict depend on the
	// order it checks them in.
	seen := map[int]string{}
	for _, l := range []struct {
		name  string
		codes []int
	}{{"success", c.SuccessCodes}, {"soft-reboot", c.SoftRebootCodes}, {"hard-reboot", c.HardRebootCodes}} {
		for _, code := range l.codes {
			if other, dup := seen[code]; dup && other != l.name {
				return invalidf("exit code %d is both a %s code and a %s code", code, other, l.name)
			}
			seen[code] = l.name
		}
	}
	if c.Timeout < 0 {
		return invalidf("time-out %s must not be negative", c.Timeout)
	}
	return nil
}

// Validate checks the package's fields, its command lines (names unique,
// ignoring case), sharing and detection rules. Whether the source folder
// exists is for the Send phase and the GUI to find out.
func (p Package) Validate() error {
	if p.ID != "" {
		if err := ValidPackageID(p.ID); err != nil {
			return err
		}
	}
	if err := validLabel("package", p.Name); err != nil {
		return err
	}
	if hasCtl(p.Version) {
		return invalidf("package version %q holds a control character", p.Version)
	}
	if err := validSource(p.Source); err != nil {
		return err
	}
	if err := ValidCommands(p.Commands); err != nil {
		return err
	}
	if err := p.Sharing.validate(); err != nil {
		return err
	}
	for i, r := range p.Detection {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("detection rule %d: %w", i+1, err)
		}
	}
	if _, err := ParseDetectionLogic(p.DetectionLogic, len(p.Detection)); err != nil {
		return err
	}
	return nil
}

// ValidCommands checks a package's command lines: each on its own, and
// their names unique ignoring case. A command line being added or edited
// goes last, so that the sentence names it and the one it clashes with.
func ValidCommands(cmds []CommandLine) error {
	names := map[string]string{}
	for _, c := range cmds {
		if err := c.Validate(); err != nil {
			return err
		}
		if first, dup := names[strings.ToLower(c.Name)]; dup {
			return invalidf("command line %q: the package already has a command line named %q", c.Name, first)
		}
		names[strings.ToLower(c.Name)] = c.Name
	}
	return nil
}

// validSource accepts what ParseLocation accepts, and a local absolute path
// of the OS it runs on (C:\src on Windows).
func validSource(s string) error {
	if strings.TrimSpace(s) == "" {
		return invalidf("package source must not be empty: give an absolute folder, \\\\host\\share\\folder or smb://host/share/folder")
	}
	if filepath.IsAbs(s) && !hasCtl(s) {
		return nil
	}
	if _, err := ParseLocation(s); err != nil {
		return invalidf("package source: %v", err)
	}
	return nil
}

func (s Sharing) validate() error {
	if s.ShareName != "" {
		if strings.ContainsAny(s.ShareName, badShareChars) || hasCtl(s.ShareName) || strings.TrimSpace(s.ShareName) != s.ShareName || len(s.ShareName) > 80 {
			return invalidf("share name %q must be at most 80 characters without spaces at either end or any of %s", s.ShareName, badShareChars)
		}
		// The name becomes a folder at the distribution share's root, beside
		// the packages' own folders.
		if strings.Trim(s.ShareName, ".") == "" {
			return invalidf("share name %q names no folder", s.ShareName)
		}
		if ValidPackageID(strings.ToUpper(s.ShareName)) == nil {
			return invalidf("share name %q has the form of a package ID, whose folder holds that package's archives on the distribution servers: choose another share name", s.ShareName)
		}
	}
	for _, seg := range strings.FieldsFunc(s.Subfolder, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." || hasCtl(seg) || strings.ContainsAny(seg, `:*?"<>|`) {
			return invalidf("share subfolder %q must not hold '..', a control character or any of :*?\"<>|", s.Subfolder)
		}
	}
	return nil
}

// Validate checks a detection rule's kind and the fields its kind uses.
func (r DetectionRule) Validate() error {
	switch {
	case !slices.Contains(RuleKinds, r.Kind):
		return invalidf("rule kind %q is not one of %s", r.Kind, ruleKindList())
	case r.Kind == RuleRegistry:
		return r.validateRegistry()
	case r.Kind == RuleMSI:
		return r.validateMSI()
	}
	if r.Key != "" || r.ValueName != "" || r.View != "" || r.ProductCode != "" {
		return invalidf("%s rule for %q: a registry key, value name, view or product code belongs to registry and msi rules", r.Kind, r.Path)
	}
	if strings.TrimSpace(r.Path) == "" || hasCtl(r.Path) {
		return invalidf("%s rule path %q must not be empty or hold a control character", r.Kind, r.Path)
	}
	switch r.Kind {
	case RuleFileExists:
	case RuleFileSize:
		if n, err := strconv.ParseInt(r.Value, 10, 64); err != nil || n < 0 {
			return invalidf("size rule for %q: size %q is not a whole number of bytes", r.Path, r.Value)
		}
	case RuleSHA256:
		if len(r.Value) != 64 || strings.Trim(strings.ToLower(r.Value), "0123456789abcdef") != "" {
			return invalidf("sha256 rule for %q: %q is not 64 hex digits", r.Path, r.Value)
		}
	case RuleVersion:
		if strings.TrimSpace(r.Value) == "" {
			return invalidf("version rule for %q: version must not be empty", r.Path)
		}
	default:
		return invalidf("rule kind %q is not one of %s", r.Kind, ruleKindList())
	}
	return nil
}

// validate checks credentials; what names the record, e.g. `site "S01"`.
func (c Credentials) validate(what string) error {
	if strings.ContainsAny(c.User+c.Domain, "@;:/\\") || hasCtl(c.User+c.Domain) {
		return invalidf("%s credentials: user %q or domain %q holds one of @;:/\\ or a control character", what, c.User, c.Domain)
	}
	if c.User == "" && (c.Domain != "" || !c.Password.IsZero()) {
		return invalidf("%s credentials: a domain or password needs a user", what)
	}
	return nil
}

// Validate checks the site's code, name, parent, share and credentials.
func (s Site) Validate() error {
	if err := ValidSiteCode(s.Code); err != nil {
		return err
	}
	if err := validLabel("site", s.Name); err != nil {
		return err
	}
	if s.Parent != "" {
		if err := ValidSiteCode(s.Parent); err != nil {
			return fmt.Errorf("parent %w", err)
		}
		if s.Parent == s.Code {
			return invalidf("site %s cannot be its own parent", s.Code)
		}
	}
	if _, err := ParseLocation(s.Share); err != nil {
		return invalidf("site share: %v", err)
	}
	return s.Credentials.validate(fmt.Sprintf("site %s", s.Code))
}

// Validate checks the server's site, name, URL and credentials.
func (s Server) Validate() error {
	if err := ValidSiteCode(s.Site); err != nil {
		return fmt.Errorf("server %w", err)
	}
	if err := validHostName("server", s.Name); err != nil {
		return err
	}
	if _, err := ParseLocation(s.URL); err != nil {
		return invalidf("server %s URL: %v", s.Name, err)
	}
	return s.Credentials.validate(fmt.Sprintf("server %s", s.Name))
}

// Validate checks the computer's name, site and platform (which may be
// empty until its first inventory).
func (c Computer) Validate() error {
	if err := ValidComputerName(c.Name); err != nil {
		return err
	}
	if err := ValidSiteCode(c.Site); err != nil {
		return fmt.Errorf("computer %s: %w", c.Name, err)
	}
	if c.Platform != "" && !slices.Contains(Platforms, c.Platform) {
		return invalidf("computer %s: platform %q is not one of %s", c.Name, c.Platform, platformList())
	}
	return nil
}

// Validate checks the group's name and members (computer or server names,
// each listed once, ignoring case).
func (g MachineGroup) Validate() error {
	if err := validLabel("machine group", g.Name); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, m := range g.Members {
		if err := validHostName("member", m); err != nil {
			return fmt.Errorf("machine group %q: %w", g.Name, err)
		}
		n := NormalizeComputerName(m)
		if seen[n] {
			return invalidf("machine group %q: member %q is listed twice", g.Name, m)
		}
		seen[n] = true
	}
	return nil
}

// ApplyDefaults fills a job's unset choices: type run, send if not sent,
// priority medium, repeat never, state pending. Deferrals is an int whose
// zero means "no deferrals", so it is set to DefaultDeferrals only on a
// fresh job (one with no type yet): call ApplyDefaults before filling in
// what the user chose.
func (j *Job) ApplyDefaults() {
	if j.Type == "" {
		j.Type = JobRun
		if j.Run.Deferrals == 0 {
			j.Run.Deferrals = DefaultDeferrals
		}
	}
	if j.Send == "" {
		j.Send = SendIfNotSent
	}
	if j.Schedule.Priority == "" {
		j.Schedule.Priority = PriorityMedium
	}
	if j.Schedule.Repeat == "" {
		j.Schedule.Repeat = RepeatNever
	}
	if j.Status.State == "" {
		j.Status.State = JobPending
	}
}

// Validate checks the job's own fields: type, IDs, target, send mode,
// schedule, deferrals and that its times are in order. Whether the package,
// command line and target exist is for the caller to look up.
func (j Job) Validate() error {
	if j.ID != "" {
		if err := ValidJobID(j.ID); err != nil {
			return err
		}
	}
	if err := oneOf("job type", j.Type, JobRun, JobShare, JobRemove); err != nil {
		return err
	}
	if j.Package == "" {
		return invalidf("job package must not be empty")
	}
	if err := ValidPackageID(j.Package); err != nil {
		return fmt.Errorf("job %w", err)
	}
	if err := j.Target.Validate(); err != nil {
		return err
	}
	if err := oneOf("send mode", j.Send, SendIfNotSent, SendAlways); err != nil {
		return err
	}
	if g := j.Distribute.ServerGroup; g != "" {
		if err := validLabel("server group", g); err != nil {
			return err
		}
	}
	if err := oneOf("priority", j.Schedule.Priority, PriorityHigh, PriorityMedium, PriorityLow); err != nil {
		return err
	}
	if err := oneOf("repeat", j.Schedule.Repeat, RepeatNever, RepeatDaily, RepeatWeekly, RepeatBiweekly, RepeatMonthly); err != nil {
		return err
	}
	if err := oneOf("job state", j.Status.State, JobPending, JobActive, JobComplete, JobRetrying, JobFailed, JobCanceled); err != nil {
		return err
	}
	return j.Run.validate(j.Type)
}

func (r RunPhase) validate(t JobType) error {
	if t == JobRun && strings.TrimSpace(r.Command) == "" {
		return invalidf("run command line must be named for a run job")
	}
	if r.Deferrals < 0 {
		return invalidf("deferrals %d must be 0 or more", r.Deferrals)
	}
	offer, mand, exp := r.OfferAfter, r.MandatoryAfter, r.ExpiresAfter
	if !offer.IsZero() && !mand.IsZero() && mand.Before(offer) {
		return invalidf("mandatory time %s is before offer time %s", stamp(mand), stamp(offer))
	}
	if !exp.IsZero() {
		if !offer.IsZero() && !exp.After(offer) {
			return invalidf("expiry time %s is not after offer time %s", stamp(exp), stamp(offer))
		}
		if !mand.IsZero() && !exp.After(mand) {
			return invalidf("expiry time %s is not after mandatory time %s", stamp(exp), stamp(mand))
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.Format(time.RFC3339) }

func oneOf[T ~string](what string, v T, allowed ...T) error {
	if slices.Contains(allowed, v) {
		return nil
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return invalidf("%s %q is not one of %s", what, v, strings.Join(names, ", "))
}
