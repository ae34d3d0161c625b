package model

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// check runs err against want: "" means no error; otherwise the error's text
// must contain want and the error must match ErrInvalid.
func check(t *testing.T, name string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: unexpected error: %v", name, err)
	case want != "" && err == nil:
		t.Errorf("%s: no error, want one containing %q", name, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: error %q, want it to contain %q", name, err, want)
	case want != "" && !errors.Is(err, ErrInvalid):
		t.Errorf("%s: error %q does not match ErrInvalid", name, err)
	}
}

var siteCodeCases = []struct{ in, want string }{
	{"S01", ""},
	{"ABC", ""},
	{"000", ""},
	{"S1", `site code "S1" must be 3 letters or digits`},
	{"S012", `site code "S012" must be 3 letters or digits`},
	{"", `site code "" must be 3 letters or digits`},
	{"S-1", `site code "S-1" must be 3 letters or digits`},
	{"S 1", "must be 3 letters or digits"},
	{"s01", `site code "s01" must be upper case: S01`},
	{"Éa", "must be 3 letters or digits"},
}

func TestValidSiteCode(t *testing.T) {
	for _, c := range siteCodeCases {
		check(t, c.in, ValidSiteCode(c.in), c.want)
	}
}

var packageIDCases = []struct{ in, want string }{
	{"S0100012", ""},
	{"ABCZZZZZ", ""},
	{"S010001", `package ID "S010001" must be a site code and 5 upper-case letters or digits, e.g. S0100012`},
	{"S01000123", "must be a site code and 5"},
	{"s0100012", "must be a site code and 5"},
	{"S01-0012", "must be a site code and 5"},
	{"", `package ID ""`},
}

func TestValidPackageID(t *testing.T) {
	for _, c := range packageIDCases {
		check(t, c.in, ValidPackageID(c.in), c.want)
	}
	check(t, "job", ValidJobID("S01x"), `job ID "S01x"`)
}

func TestNormalizeComputerName(t *testing.T) {
	for in, want := range map[string]string{"pc-01": "PC-01", " Ws7.lab ": "WS7.LAB", "": ""} {
		if got := NormalizeComputerName(in); got != want {
			t.Errorf("NormalizeComputerName(%q) = %q, want %q", in, got, want)
		}
	}
}

var platformCases = []struct {
	in   string
	want []Platform
	err  string
}{
	{"linux/amd64", []Platform{"linux/amd64"}, ""},
	{"linux/amd64,windows/amd64", []Platform{"linux/amd64", "windows/amd64"}, ""},
	{" Windows/ARM64 , darwin/arm64,", []Platform{"windows/arm64", "darwin/arm64"}, ""},
	{"linux/amd64,linux/amd64", []Platform{"linux/amd64"}, ""},
	{"beos/x86", nil, `platform "beos/x86" is not one of windows/amd64, windows/arm64`},
	{"linux/amd64,beos/x86", nil, `platform "beos/x86"`},
	{"", nil, `platforms "" name none of windows/amd64`},
	{" , ", nil, "name none of"},
}

func TestParsePlatforms(t *testing.T) {
	for _, c := range platformCases {
		got, err := ParsePlatforms(c.in)
		check(t, c.in, err, c.err)
		if !slices.Equal(got, c.want) {
			t.Errorf("ParsePlatforms(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if p, err := ParsePlatform("LINUX/ARM64"); err != nil || p != "linux/arm64" {
		t.Errorf("ParsePlatform(LINUX/ARM64) = %q, %v", p, err)
	}
}

func FuzzParsePlatforms(f *testing.F) {
	for _, c := range platformCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePlatforms(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if len(ps) == 0 {
			t.Fatalf("ParsePlatforms(%q) succeeded with no platforms", s)
		}
		for _, p := range ps {
			if !slices.Contains(Platforms, p) {
				t.Fatalf("ParsePlatforms(%q) returned unknown %q", s, p)
			}
		}
	})
}

var targetCases = []struct {
	in   string
	want Target
	err  string
}{
	{"site:S01", Target{Kind: TargetSite, Name: "S01"}, ""},
	{"site:s01", Target{Kind: TargetSite, Name: "S01"}, ""},
	{"Computer: pc-7", Target{Kind: TargetComputer, Name: "PC-7"}, ""},
	{"group:Finance PCs", Target{Kind: TargetGroup, Name: "Finance PCs"}, ""},
	{"group:a:b", Target{Kind: TargetGroup, Name: "a:b"}, ""},
	{"S01", Target{}, `target "S01" must be site:CODE, group:NAME or computer:NAME`},
	{"site:S1", Target{}, `target site code "S1" must be 3 letters or digits`},
	{"group:", Target{}, "target group name must not be empty"},
	{"computer:", Target{}, `target computer name "" must be 1 to 63 letters`},
	{"computer:pc 7", Target{}, `target computer name "PC 7" must be 1 to 63`},
	{"computer:" + strings.Repeat("a", 64), Target{}, "must be 1 to 63"},
	{"user:bob", Target{}, `target kind "user" is not one of site, group, computer`},
}

func TestParseTarget(t *testing.T) {
	for _, c := range targetCases {
		got, err := ParseTarget(c.in)
		check(t, c.in, err, c.err)
		if got != c.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestTargetSubsites(t *testing.T) {
	check(t, "site", Target{Kind: TargetSite, Name: "S01", Subsites: true}.Validate(), "")
	check(t, "group", Target{Kind: TargetGroup, Name: "G", Subsites: true}.Validate(), `sub-sites apply only to a site target, not to group "G"`)
}

func FuzzParseTarget(f *testing.F) {
	for _, c := range targetCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not match ErrInvalid", err)
			}
			return
		}
		if err := tg.Validate(); err != nil {
			t.Fatalf("ParseTarget(%q) = %+v, which does not validate: %v", s, tg, err)
		}
		again, err := ParseTarget(string(tg.Kind) + ":" + tg.Name)
		if err != nil || again != tg {
			t.Fatalf("ParseTarget(%q) = %+v; printed and parsed again: %+v, %v", s, tg, again, err)
		}
	})
}

func goodCommand() CommandLine {
	c := CommandLine{Name: "Install", Command: "setup.exe /q", Platforms: []Platform{"windows/amd64"}, Automated: true}
	c.ApplyDefaults()
	return c
}

func TestCommandLineApplyDefaults(t *testing.T) {
	var c CommandLine
	c.ApplyDefaults()
	if !slices.Equal(c.SuccessCodes, []int{0}) || !slices.Equal(c.SoftRebootCodes, []int{3010}) || !slices.Equal(c.HardRebootCodes, []int{1641}) {
		t.Errorf("defaults: %+v", c)
	}
	c = CommandLine{SuccessCodes: []int{0, 1}, SoftRebootCodes: []int{7}}
	c.ApplyDefaults()
	if !slices.Equal(c.SuccessCodes, []int{0, 1}) || !slices.Equal(c.SoftRebootCodes, []int{7}) || !slices.Equal(c.HardRebootCodes, []int{1641}) {
		t.Errorf("defaults overwrote given codes: %+v", c)
	}
}

func TestCommandLineValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*CommandLine)
		want string
	}{
		{"good", func(*CommandLine) {}, ""},
		{"good without codes for reboots", func(c *CommandLine) { c.SoftRebootCodes, c.HardRebootCodes = nil, nil }, ""},
		{"empty name", func(c *CommandLine) { c.Name = " " }, "command line name must not be empty"},
		{"control in name", func(c *CommandLine) { c.Name = "a\tb" }, `command line name "a\tb" holds a control character`},
		{"padded name", func(c *CommandLine) { c.Name = "Install " }, "must not start or end with a space"},
		{"long name", func(c *CommandLine) { c.Name = strings.Repeat("x", 129) }, "longer than 128"},
		{"empty command", func(c *CommandLine) { c.Command = "" }, `command line "Install": command must not be empty`},
		{"no platforms", func(c *CommandLine) { c.Platforms = nil }, `command line "Install": platforms must name at least one of windows/amd64`},
		{"bad platform", func(c *CommandLine) { c.Platforms = []Platform{"beos/x86"} },
			`command line "Install": platform "beos/x86" is not one of windows/amd64, windows/arm64, windows/386, linux/amd64`},
		{"no success codes", func(c *CommandLine) { c.SuccessCodes = nil }, "success exit codes must not be empty"},
		{"code in two lists", func(c *CommandLine) { c.SuccessCodes = []int{0, 3010} }, "exit code 3010 is both a success code and a soft-reboot code"},
		{"code twice in one list", func(c *CommandLine) { c.SuccessCodes = []int{0, 0} }, ""},
		{"negative time-out", func(c *CommandLine) { c.Timeout = -time.Second }, "time-out -1s must not be negative"},
	}
	for _, c := range cases {
		cl := goodCommand()
		c.edit(&cl)
		check(t, c.name, cl.Validate(), c.want)
	}
}

func goodPackage() Package {
	return Package{
		ID: "S0100012", Name: "7-Zip", Version: "24.09", Source: "/srv/pkgsrc/7zip",
		Commands: []CommandLine{goodCommand()},
	}
}

func TestPackageValidate(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Package)
		want string
	}{
		{"good", func(*Package) {}, ""},
		{"good without ID", func(p *Package) { p.ID = "" }, ""},
		{"good UNC source", func(p *Package) { p.Source = `\\fs1\src\7zip` }, ""},
		{"good smb source", func(p *Package) { p.Source = "smb://fs1/src/7zip" }, ""},
		{"good without command lines", func(p *Package) { p.Commands = nil }, ""},
		{"good sharing", func(p *Package) { p.Sharing = Sharing{ShareName: "7ZIP", Subfolder: "apps/7zip"} }, ""},
		{"bad ID", func(p *Package) { p.ID = "S01" }, `package ID "S01" must be`},
		{"empty name", func(p *Package) { p.Name = "" }, "package name must not be empty"},
		{"control in version", func(p *Package) { p.Version = "1\n2" }, `package version "1\n2" holds a control character`},
		{"empty source", func(p *Package) { p.Source = "" }, "package source must not be empty"},
		{"relative source", func(p *Package) { p.Source = "src/7zip" }, `package source: location "src/7zip" is not`},
		{"bad command line", func(p *Package) { p.Commands[0].Platforms = []Platform{"beos/x86"} }, `command line "Install": platform "beos/x86"`},
		{"duplicate command line", func(p *Package) {
			c := goodCommand()
			c.Name = "INSTALL"
			p.Commands = append(p.Commands, c)
		}, `command line "INSTALL": the package already has a command line named "Install"`},
		{"bad share name", func(p *Package) { p.Sharing.ShareName = "a/b" }, `share name "a/b" must be`},
		{"share name dots", func(p *Package) { p.Sharing.ShareName = ".." }, `share name ".." names no folder`},
		{"share name like a package ID", func(p *Package) { p.Sharing.ShareName = "s0100012" }, `has the form of a package ID`},
		{"share subfolder escapes", func(p *Package) { p.Sharing.Subfolder = `apps\..\..` }, `share subfolder "apps\\..\\.."`},
		{"good detection", func(p *Package) {
			p.Detection = []DetectionRule{
				{Kind: RuleFileExists, Path: `C:\Program Files\7-Zip\7z.exe`},
				{Kind: RuleFileSize, Path: "7z.exe", Value: "123"},
				{Kind: RuleSHA256, Path: "7z.exe", Value: strings.Repeat("aB", 32)},
				{Kind: RuleVersion, Path: "7z.exe", Value: "24.09"},
			}
		}, ""},
		{"detection kind", func(p *Package) { p.Detection = []DetectionRule{{Kind: "crc", Path: "x"}} }, `detection rule 1: rule kind "crc" is not one of`},
		{"detection path", func(p *Package) { p.Detection = []DetectionRule{{Kind: RuleFileExists}} }, `file-exists rule path "" must not be empty`},
		{"detection size", func(p *Package) { p.Detection = []DetectionRule{{Kind: RuleFileSize, Path: "x", Value: "-1"}} }, `size "-1" is not a whole number`},
		{"detection sha", func(p *Package) { p.Detection = []DetectionRule{{Kind: RuleSHA256, Path: "x", Value: "abc"}} }, `"abc" is not 64 hex digits`},
		{"detection version", func(p *Package) { p.Detection = []DetectionRule{{Kind: RuleVersion, Path: "x"}} }, "version must not be empty"},
	}
	for _, c := range cases {
		p := goodPackage()
		p.Commands = slices.Clone(p.Commands)
		c.edit(&p)
		check(t, c.name, p.Validate(), c.want)
	}
}

func TestSiteValidate(t *testing.T) {
	good := Site{Code: "S01", Name: "Head office", Share: `\\siteserver\SMS_SITE`,
		Credentials: Credentials{Domain: "LAB", User: "smsadmin", Password: NewSecret("pw")}}
	cases := []struct {
		name string
		edit func(*Site)
		want string
	}{
		{"good", func(*Site) {}, ""},
		{"good child", func(s *Site) { s.Parent = "HQ1" }, ""},
		{"good local share", func(s *Site) { s.Share = "/srv/opensms/site" }, ""},
		{"good without credentials", func(s *Site) { s.Credentials = Credentials{} }, ""},
		{"bad code", func(s *Site) { s.Code = "S1" }, `site code "S1" must be 3 letters or digits`},
		{"empty name", func(s *Site) { s.Name = "" }, "site name must not be empty"},
		{"bad parent", func(s *Site) { s.Parent = "x" }, `parent site code "x" must be 3 letters or digits`},
		{"own parent", func(s *Site) { s.Parent = "S01" }, "site S01 cannot be its own parent"},
		{"no share", func(s *Site) { s.Share = "" }, "site share: location is empty"},
		{"bad share", func(s *Site) { s.Share = "siteserver" }, `site share: location "siteserver" is not`},
		{"password without user", func(s *Site) { s.Credentials.User = "" }, "site S01 credentials: a domain or password needs a user"},
		{"bad user", func(s *Site) { s.Credentials.User = "a@b" }, `site S01 credentials: user "a@b"`},
	}
	for _, c := range cases {
		s := good
		c.edit(&s)
		err := s.Validate()
		check(t, c.name, err, c.want)
		if err != nil && strings.Contains(err.Error(), "pw") {
			t.Errorf("%s: error %q shows the password", c.name, err)
		}
	}
}

func TestServerValidate(t *testing.T) {
	good := Server{Site: "S01", Name: "DIST1", URL: "smb://LAB;sms@dist1/SMS_PKG", Default: true}
	cases := []struct {
		name string
		edit func(*Server)
		want string
	}{
		{"good", func(*Server) {}, ""},
		{"good local", func(s *Server) { s.URL = "file:///srv/dist1" }, ""},
		{"bad site", func(s *Server) { s.Site = "" }, `server site code "" must be 3 letters or digits`},
		{"empty name", func(s *Server) { s.Name = "" }, `server name "" must be 1 to 63 letters, digits, '-', '_' or '.'`},
		{"spaced name", func(s *Server) { s.Name = "dist 1" }, `server name "dist 1"`},
		{"bad URL", func(s *Server) { s.URL = "http://dist1/pkg" }, `server DIST1 URL: location "http://dist1/pkg" is not`},
		{"password in URL", func(s *Server) { s.URL = "smb://u:secret@dist1/pkg" }, "holds a password"},
		{"domain without user", func(s *Server) { s.Credentials.Domain = "LAB" }, "server DIST1 credentials: a domain or password needs a user"},
	}
	for _, c := range cases {
		s := good
		c.edit(&s)
		err := s.Validate()
		check(t, c.name, err, c.want)
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error %q shows the password", c.name, err)
		}
	}
}

var computerNameCases = []struct{ in, want string }{
	{"PC-01", ""},
	{"ws7.lab.example", ""},
	{"a_b", ""},
	{strings.Repeat("A", 63), ""},
	{"", `computer name "" must be 1 to 63 letters, digits, '-', '_' or '.'`},
	{strings.Repeat("A", 64), "must be 1 to 63"},
	{"pc 1", `computer name "pc 1"`},
	{"pc/1", `computer name "pc/1"`},
	{"pç", "must be 1 to 63"},
}

func TestComputerValidate(t *testing.T) {
	for _, c := range computerNameCases {
		check(t, c.in, Computer{Name: c.in, Site: "S01"}.Validate(), c.want)
	}
	check(t, "platform", Computer{Name: "PC", Site: "S01", Platform: "linux/arm64"}.Validate(), "")
	check(t, "bad platform", Computer{Name: "PC", Site: "S01", Platform: "os2/x86"}.Validate(), `computer PC: platform "os2/x86" is not one of`)
	check(t, "bad site", Computer{Name: "PC", Site: "s"}.Validate(), `computer PC: site code "s" must be 3 letters or digits`)
}

func TestMachineGroupValidate(t *testing.T) {
	cases := []struct {
		g    MachineGroup
		want string
	}{
		{MachineGroup{Name: "Finance PCs", Members: []string{"PC1", "PC2"}}, ""},
		{MachineGroup{Name: "Empty"}, ""},
		{MachineGroup{Name: ""}, "machine group name must not be empty"},
		{MachineGroup{Name: "G", Members: []string{"PC 1"}}, `machine group "G": member name "PC 1" must be 1 to 63`},
		{MachineGroup{Name: "G", Members: []string{"pc1", "PC1"}}, `machine group "G": member "PC1" is listed twice`},
	}
	for _, c := range cases {
		check(t, c.g.Name, c.g.Validate(), c.want)
	}
}

func goodJob() Job {
	j := Job{Package: "S0100012", Target: Target{Kind: TargetSite, Name: "S01", Subsites: true}}
	j.ApplyDefaults()
	j.Run.Command = "Install"
	return j
}

func TestJobApplyDefaults(t *testing.T) {
	var j Job
	j.ApplyDefaults()
	want := Job{Type: JobRun, Send: SendIfNotSent, Run: RunPhase{Deferrals: DefaultDeferrals},
		Schedule: Schedule{Priority: PriorityMedium, Repeat: RepeatNever}, Status: JobStatus{State: JobPending}}
	if j.Type != want.Type || j.Send != want.Send || j.Run != want.Run || j.Schedule != want.Schedule || j.Status.State != want.Status.State {
		t.Errorf("ApplyDefaults on a zero job = %+v, want %+v", j, want)
	}
	// A job whose type is chosen keeps its 0 deferrals and other choices.
	j = Job{Type: JobShare, Send: SendAlways, Schedule: Schedule{Priority: PriorityHigh, Repeat: RepeatDaily}, Status: JobStatus{State: JobActive}}
	j.ApplyDefaults()
	if j.Run.Deferrals != 0 || j.Send != SendAlways || j.Schedule.Priority != PriorityHigh || j.Schedule.Repeat != RepeatDaily || j.Status.State != JobActive {
		t.Errorf("ApplyDefaults changed given choices: %+v", j)
	}
}

func TestJobValidate(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		edit func(*Job)
		want string
	}{
		{"good", func(*Job) {}, ""},
		{"good with ID", func(j *Job) { j.ID = "S0100003" }, ""},
		{"good times", func(j *Job) {
			j.Run.OfferAfter, j.Run.MandatoryAfter, j.Run.ExpiresAfter = t0, t0.Add(time.Hour), t0.Add(48*time.Hour)
		}, ""},
		{"good mandatory at offer", func(j *Job) { j.Run.OfferAfter, j.Run.MandatoryAfter = t0, t0 }, ""},
		{"good expiry only", func(j *Job) { j.Run.ExpiresAfter = t0 }, ""},
		{"good share job without command", func(j *Job) { j.Type, j.Run.Command = JobShare, "" }, ""},
		{"good server group", func(j *Job) { j.Distribute.ServerGroup = "Branch servers" }, ""},
		{"good no deferrals", func(j *Job) { j.Run.Deferrals = 0 }, ""},
		{"bad ID", func(j *Job) { j.ID = "7" }, `job ID "7" must be a site code`},
		{"bad type", func(j *Job) { j.Type = "install" }, `job type "install" is not one of run, share, remove`},
		{"no type", func(j *Job) { j.Type = "" }, `job type "" is not one of`},
		{"no package", func(j *Job) { j.Package = "" }, "job package must not be empty"},
		{"bad package", func(j *Job) { j.Package = "S01" }, `job package ID "S01" must be`},
		{"bad target", func(j *Job) { j.Target = Target{Kind: "ou", Name: "x"} }, `target kind "ou" is not one of site, group, computer`},
		{"bad send", func(j *Job) { j.Send = "never" }, `send mode "never" is not one of if-not-sent, always`},
		{"bad server group", func(j *Job) { j.Distribute.ServerGroup = " x" }, `server group name " x" must not start or end with a space`},
		{"bad priority", func(j *Job) { j.Schedule.Priority = "urgent" }, `priority "urgent" is not one of high, medium, low`},
		{"bad repeat", func(j *Job) { j.Schedule.Repeat = "hourly" }, `repeat "hourly" is not one of never, daily, weekly, biweekly, monthly`},
		{"bad state", func(j *Job) { j.Status.State = "done" }, `job state "done" is not one of pending, active`},
		{"run without command", func(j *Job) { j.Run.Command = " " }, "run command line must be named for a run job"},
		{"negative deferrals", func(j *Job) { j.Run.Deferrals = -1 }, "deferrals -1 must be 0 or more"},
		{"mandatory before offer", func(j *Job) { j.Run.OfferAfter, j.Run.MandatoryAfter = t0, t0.Add(-time.Minute) },
			"mandatory time 2026-03-01T08:59:00Z is before offer time 2026-03-01T09:00:00Z"},
		{"expiry at offer", func(j *Job) { j.Run.OfferAfter, j.Run.ExpiresAfter = t0, t0 },
			"expiry time 2026-03-01T09:00:00Z is not after offer time 2026-03-01T09:00:00Z"},
		{"expiry before mandatory", func(j *Job) { j.Run.MandatoryAfter, j.Run.ExpiresAfter = t0, t0.Add(-time.Hour) },
			"expiry time 2026-03-01T08:00:00Z is not after mandatory time 2026-03-01T09:00:00Z"},
	}
	for _, c := range cases {
		j := goodJob()
		c.edit(&j)
		check(t, c.name, j.Validate(), c.want)
	}
}

func TestCommandLineAnyPlatform(t *testing.T) {
	c := goodCommand()
	c.Platforms, c.AnyPlatform = nil, true
	check(t, "any platform", c.Validate(), "")
	for _, p := range append(slices.Clone(Platforms), "") {
		if !c.RunsOn(p) {
			t.Errorf("an any-platform command line does not run on %q", p)
		}
	}
	if got := c.PlatformText(); got != "any platform" {
		t.Errorf("PlatformText = %q", got)
	}
	c.Platforms = []Platform{"linux/amd64"}
	check(t, "any and a list", c.Validate(), `command line "Install": it runs on any platform and also names platforms [linux/amd64]; choose one or the other`)

	c = goodCommand()
	if !c.RunsOn("windows/amd64") || c.RunsOn("linux/amd64") || c.RunsOn("") {
		t.Errorf("RunsOn of a windows/amd64 command line is wrong")
	}
	c.Platforms = append(c.Platforms, "linux/arm64")
	if got := c.PlatformText(); got != "windows/amd64,linux/arm64" {
		t.Errorf("PlatformText = %q", got)
	}
}

func TestParseCommandPlatforms(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []Platform
		any     bool
		wantErr string
	}{
		{"any", nil, true, ""},
		{" ANY ", nil, true, ""},
		{"any,", nil, true, ""},
		{"linux/amd64, windows/arm64", []Platform{"linux/amd64", "windows/arm64"}, false, ""},
		{"any,linux/amd64", nil, false, `platforms "any,linux/amd64": any stands alone`},
		{"", nil, false, `platforms "" name none of`},
		{"anything", nil, false, `platform "anything" is not one of`},
	} {
		ps, anyP, err := ParseCommandPlatforms(tc.in)
		check(t, tc.in, err, tc.wantErr)
		if !slices.Equal(ps, tc.want) || anyP != tc.any {
			t.Errorf("ParseCommandPlatforms(%q) = %v, %v", tc.in, ps, anyP)
		}
	}
}
