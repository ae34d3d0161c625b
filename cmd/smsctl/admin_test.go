package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/storage/badgerstore"
)

// smsctlBin is the binary built once by TestMain, without cgo as shipped.
var smsctlBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "smsctl-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	smsctlBin = filepath.Join(dir, "smsctl")
	build := exec.Command("go", "build", "-o", smsctlBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building smsctl: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
}

// cli runs the binary on the data dir with extra environment and stdin.
type cli struct {
	t     *testing.T
	data  string
	env   []string
	stdin string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, data: filepath.Join(t.TempDir(), "data")}
}

func (c *cli) run(args ...string) result {
	c.t.Helper()
	cmd := exec.Command(smsctlBin, append([]string{"--data", c.data}, args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(c.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatalf("running smsctl %s: %v", strings.Join(args, " "), err)
	}
	return result{code, out.String(), errb.String()}
}

// ok runs and fails the test unless the command exits 0.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("smsctl %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// okJSON runs with --json and decodes stdout into v.
func (c *cli) okJSON(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("smsctl %s --json printed what is not JSON (%v):\n%s", strings.Join(args, " "), err, out)
	}
}

// snapshot is every list as JSON: what bad input must leave unchanged.
func (c *cli) snapshot() string {
	c.t.Helper()
	var b strings.Builder
	for _, noun := range []string{"site", "server", "computer", "group", "package"} {
		b.WriteString(c.ok(noun, "list", "--json"))
	}
	return b.String()
}

const testPassword = "Tr0ub4dor&3-never-print-me"

// fixture is a data dir with one of everything.
func fixture(t *testing.T) (*cli, string) {
	c := newCLI(t)
	c.env = []string{"SMSCTL_TEST_PW=" + testPassword}
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo hi\n"), 0o644)
	c.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", `\\siteserver\SMS_SITE`, "--user", "smsadmin", "--password-env", "SMSCTL_TEST_PW")
	c.ok("server", "add", "--site", "S01", "--name", "dist1", "--url", "smb://smsadmin@dist1:4445/SMS_PKG/pkgs", "--password-env", "SMSCTL_TEST_PW", "--default")
	c.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", "linux/amd64")
	c.ok("group", "add", "--name", "Accounting", "--computers", "PC001")
	id := strings.TrimSpace(c.ok("package", "add", "--name", "Hello", "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", "linux/amd64,linux/arm64", "--automated"))
	if !regexp.MustCompile(`^S01[0-9A-Z]{5}$`).MatchString(id) {
		t.Fatalf("package add printed %q, not a package ID", id)
	}
	return c, id
}

func TestHappyPaths(t *testing.T) {
	c, id := fixture(t)

	// Sites.
	c.ok("site", "add", "--code", "S02", "--name", "Branch", "--parent", "S01", "--share", "file:///srv/branch")
	var sites []model.Site
	c.okJSON(&sites, "site", "list")
	if len(sites) != 2 || sites[0].Code != "S01" || sites[1].Parent != "S01" || sites[0].Share != "smb://siteserver/SMS_SITE" {
		t.Fatalf("site list --json = %+v", sites)
	}
	if out := c.ok("site", "list"); !strings.Contains(out, "CODE") || !strings.Contains(out, "Branch") {
		t.Errorf("site list:\n%s", out)
	}
	show := c.ok("site", "show", "S01")
	for _, want := range []string{"Head Office", "password:  set", "user:      smsadmin", "dist1 (default)", "computers: 1"} {
		if !strings.Contains(show, want) {
			t.Errorf("site show lacks %q:\n%s", want, show)
		}
	}
	var site model.Site
	c.okJSON(&site, "site", "show", "S01")
	if site.Code != "S01" || site.Credentials.User != "smsadmin" {
		t.Errorf("site show --json = %+v", site)
	}
	c.ok("site", "rm", "S02")
	c.okJSON(&sites, "site", "list")
	if len(sites) != 1 {
		t.Errorf("after site rm S02: %+v", sites)
	}

	// Servers: the password may come from stdin too.
	c.stdin = "from-stdin-pw\nignored\n"
	c.ok("server", "add", "--site", "S01", "--name", "dist2", "--url", `\\nas\pkgs`, "--user", "u", "--domain", "CORP", "--password-stdin")
	c.stdin = ""
	var servers []model.Server
	c.okJSON(&servers, "server", "list", "--site", "S01")
	if len(servers) != 2 || !servers[0].Default || servers[0].URL != "smb://dist1:4445/SMS_PKG/pkgs" || servers[1].Credentials.Domain != "CORP" {
		t.Fatalf("server list --json = %+v", servers)
	}
	if out := c.ok("server", "list"); !strings.Contains(out, `CORP\u`) {
		t.Errorf("server list:\n%s", out)
	}
	c.ok("server", "rm", "--site", "S01", "dist2")
	c.okJSON(&servers, "server", "list")
	if len(servers) != 1 {
		t.Errorf("after server rm: %+v", servers)
	}

	// Computers: names are upper case.
	c.ok("computer", "add", "--site", "S01", "--name", "pc002", "--platform", "windows/arm64")
	var computers []model.Computer
	c.okJSON(&computers, "computer", "list", "--site", "S01")
	if len(computers) != 2 || computers[1].Name != "PC002" || computers[1].Platform != "windows/arm64" {
		t.Fatalf("computer list --json = %+v", computers)
	}
	if out := c.ok("computer", "list"); !strings.Contains(out, "never") {
		t.Errorf("computer list should say a new computer was never seen:\n%s", out)
	}

	// Groups, with a server as a member too.
	c.ok("group", "add-member", "Accounting", "pc002", "dist1")
	var g model.MachineGroup
	c.okJSON(&g, "group", "show", "Accounting")
	if strings.Join(g.Members, ",") != "PC001,PC002,dist1" {
		t.Fatalf("group members = %v", g.Members)
	}
	c.ok("group", "rm-member", "Accounting", "PC001")
	c.ok("group", "add", "--name", "Empty")
	var groups []model.MachineGroup
	c.okJSON(&groups, "group", "list")
	if len(groups) != 2 || strings.Join(groups[0].Members, ",") != "PC002,dist1" || groups[1].Members == nil {
		t.Fatalf("group list --json = %+v", groups)
	}
	c.ok("group", "rm", "Empty")
	c.ok("computer", "rm", "pc002")

	// Packages.
	c.ok("package", "command", "add", id, "--command-name", "Quiet", "--command", "sh install.sh -q",
		"--platform", "linux/amd64", "--automated", "--background", "--success-codes", "0,1", "--timeout", "30m")
	var p model.Package
	c.okJSON(&p, "package", "show", id)
	if len(p.Commands) != 2 {
		t.Fatalf("package show --json = %+v", p)
	}
	q := p.Commands[1]
	if q.Name != "Quiet" || !q.Automated || !q.Background || fmt.Sprint(q.SuccessCodes) != "[0 1]" || q.Timeout.String() != "30m0s" || fmt.Sprint(q.SoftRebootCodes) != "[3010]" {
		t.Errorf("command line = %+v", q)
	}
	if out := c.ok("package", "show", id); !strings.Contains(out, `command "Quiet":`) || !strings.Contains(out, "timeout 30m0s") {
		t.Errorf("package show:\n%s", out)
	}
	c.ok("package", "command", "rm", id, "Quiet")
	c.ok("package", "command", "add", id, "--command-name", "Anywhere", "--command", "sh install.sh", "--platform", "any")
	c.okJSON(&p, "package", "show", id)
	if a, _ := p.Command("Anywhere"); !a.AnyPlatform || len(a.Platforms) != 0 {
		t.Errorf("--platform any stored %+v", a)
	}
	if out := c.ok("package", "show", id); !strings.Contains(out, "sh install.sh  [any platform]") {
		t.Errorf("package show of an any-platform command line:\n%s", out)
	}
	c.ok("package", "command", "rm", id, "Anywhere")
	var pkgs []model.Package
	c.okJSON(&pkgs, "package", "list")
	if len(pkgs) != 1 || len(pkgs[0].Commands) != 1 {
		t.Fatalf("package list --json = %+v", pkgs)
	}
	var added model.Package
	// A source on a share is connected to at once (see source_test.go):
	// this one is a second local folder.
	other := t.TempDir()
	c.okJSON(&added, "package", "add", "--name", "Share only", "--version", "2", "--source", other)
	if added.ID == "" || added.ID == id || added.Source != other {
		t.Errorf("package add --json = %+v", added)
	}
	c.ok("package", "rm", added.ID)
	c.ok("package", "rm", id)
	c.okJSON(&pkgs, "package", "list")
	if len(pkgs) != 0 {
		t.Errorf("after package rm: %+v", pkgs)
	}
}

func TestEmptyListsAreJSONArrays(t *testing.T) {
	c := newCLI(t)
	for _, noun := range []string{"site", "server", "computer", "group", "package"} {
		if out := strings.TrimSpace(c.ok(noun, "list", "--json")); out != "[]" {
			t.Errorf("%s list --json on an empty store = %q", noun, out)
		}
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	c, id := fixture(t)
	before := c.snapshot()
	missing := filepath.Join(t.TempDir(), "no-such-folder")
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"site", "add", "--code", "S1", "--name", "X", "--share", `\\h\s`}, `site code "S1" must be 3 letters or digits`},
		{[]string{"site", "add", "--code", "S01", "--name", "X", "--share", `\\h\s`}, "site S01 already exists"},
		{[]string{"site", "add", "--code", "S03", "--name", "X"}, "--share is required"},
		{[]string{"site", "add", "--code", "S03", "--name", "X", "--share", "relative/dir"}, `location "relative/dir" is not`},
		{[]string{"site", "add", "--code", "S03", "--name", "X", "--share", `\\h\s`, "--parent", "S09"}, "parent site S09 does not exist"},
		{[]string{"site", "add", "--code", "S03", "--name", "X", "--share", `\\h\s`, "--user", "u", "--password-env", "SMSCTL_UNSET_VAR"}, "SMSCTL_UNSET_VAR named by --password-env is not set"},
		{[]string{"site", "add", "--code", "S03", "--name", "X", "--share", `\\h\s`, "--password-env", "SMSCTL_TEST_PW"}, "a password needs a user"},
		{[]string{"site", "add", "--code", "S03", "--name", "X", "--share", "smb://u:pw@h/s"}, "holds a password"},
		{[]string{"site", "add", "--password", "x"}, "flag provided but not defined: -password"},
		{[]string{"site", "list", "extra"}, "takes no arguments"},
		{[]string{"site", "show"}, "needs CODE"},
		{[]string{"site", "show", "S09"}, "site S09 not found"},
		{[]string{"site", "rm", "S09"}, "site S09 not found"},
		{[]string{"site", "rm", "S01"}, "site S01 still has 1 distribution server"},
		{[]string{"site", "frobnicate"}, `smsctl site has no verb "frobnicate"`},

		{[]string{"server", "add", "--site", "S09", "--name", "d", "--url", `\\h\s`}, "site S09 does not exist"},
		{[]string{"server", "add", "--site", "S01", "--name", "dist1", "--url", `\\h\s`}, "server dist1 in site S01 already exists"},
		{[]string{"server", "add", "--site", "S01", "--name", "bad name", "--url", `\\h\s`}, `server name "bad name" must be`},
		{[]string{"server", "add", "--site", "S01", "--name", "d", "--url", "file:///x", "--user", "u"}, "local folder, which takes no user"},
		{[]string{"server", "list", "--site", "S09"}, "site S09 does not exist"},
		{[]string{"server", "rm", "dist1"}, "--site is required"},
		{[]string{"server", "rm", "--site", "S01", "nope"}, "server nope of site S01 not found"},

		{[]string{"computer", "add", "--site", "S01", "--name", "PC009", "--platform", "amiga/68k"}, `platform "amiga/68k" is not one of`},
		{[]string{"computer", "add", "--site", "S01", "--name", "PC009", "--platform", "linux/amd64,linux/arm64"}, "names one platform"},
		{[]string{"computer", "add", "--site", "S01", "--name", "pc001", "--platform", "linux/amd64"}, "computer PC001 already exists"},
		{[]string{"computer", "add", "--site", "S09", "--name", "PC009", "--platform", "linux/amd64"}, "site S09 does not exist"},
		{[]string{"computer", "add", "--name", "PC009"}, "--site, --platform are required"},
		{[]string{"computer", "rm", "pc009"}, "computer PC009 not found"},
		{[]string{"computer", "list", "--site", "S09"}, "site S09 does not exist"},

		{[]string{"group", "add", "--name", "Accounting"}, "group Accounting already exists"},
		{[]string{"group", "add", "--name", "Sales", "--computers", "PC001,PC404"}, "PC404 is neither a computer nor a distribution server"},
		{[]string{"group", "add", "--name", "Sales", "--computers", "PC001,pc001"}, "listed twice"},
		{[]string{"group", "add", "--name", " "}, "machine group name must not be empty"},
		{[]string{"group", "add-member", "Accounting"}, "give the group and at least one member"},
		{[]string{"group", "add-member", "Nope", "PC001"}, `machine group "Nope" not found`},
		{[]string{"group", "add-member", "Accounting", "PC404"}, "PC404 is neither"},
		{[]string{"group", "rm-member", "Accounting", "PC404"}, "PC404 is not a member of group Accounting"},
		{[]string{"group", "show", "Nope"}, `machine group "Nope" not found`},
		{[]string{"group", "rm", "Nope"}, `machine group "Nope" not found`},
		{[]string{"group", "list", "x"}, "takes no arguments"},

		{[]string{"package", "add", "--name", "X", "--version", "1", "--source", missing}, "source folder " + missing + " does not exist"},
		{[]string{"package", "add", "--name", "X", "--version", "1", "--source", "/", "--command-name", "I", "--command", "x"}, "--platform is required"},
		{[]string{"package", "add", "--name", "X", "--version", "1", "--source", "/", "--command-name", "I", "--command", "x", "--platform", "linux/amd64", "--success-codes", "0,x"}, `"x" is not a whole number`},
		{[]string{"package", "add", "--name", "X", "--version", "1", "--source", "/", "--command-name", "I", "--command", "x", "--platform", "linux/amd64", "--success-codes", "3010"}, "exit code 3010 is both"},
		{[]string{"package", "add", "--name", "X", "--version", "1", "--source", "/", "--command-name", "I", "--command", "x", "--platform", "linux/amd64", "--timeout", "soon"}, `invalid value "soon" for flag -timeout`},
		{[]string{"package", "add", "--name", "", "--version", "1", "--source", "/"}, "package name must not be empty"},
		{[]string{"package", "command", "add", id, "--command-name", "install", "--command", "x", "--platform", "linux/amd64"}, `already has a command line named "Install"`},
		{[]string{"package", "command", "add", "S01ZZZZZ", "--command-name", "I", "--command", "x", "--platform", "linux/amd64"}, "package S01ZZZZZ not found"},
		{[]string{"package", "command", "add", id, "--command-name", "I", "--command", "x"}, "--platform is required"},
		{[]string{"package", "command", "add", id, "--command-name", "I", "--command", "x", "--platform", "any,linux/amd64"}, "any stands alone"},
		{[]string{"computer", "add", "--site", "S01", "--name", "PC009", "--platform", "any"}, `platform "any" is not one of`},
		{[]string{"package", "command", "rm", id, "Nope"}, `has no command line named "Nope"`},
		{[]string{"package", "command"}, `smsctl package has no verb "command"`},
		{[]string{"package", "show", "S01ZZZZZ"}, "package S01ZZZZZ not found"},
		{[]string{"package", "rm", "S01ZZZZZ"}, "package S01ZZZZZ not found"},
		{[]string{"package", "list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"job", "add", "--package", id, "--target", "computer:PC001", "--command", "Install", "--servers", "group: "}, "distribute phase: choose the machine group that lists the servers, or put the package on the Default Servers"},

		{[]string{"nonsense"}, `unknown command "nonsense"; see 'smsctl help'`},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.err) || r.stdout != "" {
				t.Fatalf("want exit 2 and %q on stderr, got %s", tc.err, r)
			}
			if strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "; see 'smsctl ") {
				t.Errorf("stderr should be one sentence with a help hint, got %q", r.stderr)
			}
			if strings.Contains(r.stderr, testPassword) {
				t.Errorf("stderr holds the password")
			}
		})
	}
	if after := c.snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
}

func TestPasswordNeverPrinted(t *testing.T) {
	c, id := fixture(t)
	var all strings.Builder
	for _, args := range [][]string{
		{"site", "list"}, {"site", "show", "S01"}, {"server", "list"}, {"package", "show", id}, {"help"},
	} {
		for _, j := range []string{"", "--json"} {
			a := args
			if j != "" {
				a = append(append([]string{}, args...), j)
			}
			r := c.run(a...)
			all.WriteString(r.stdout + r.stderr)
		}
	}
	if strings.Contains(all.String(), testPassword) {
		t.Fatalf("the password given by --password-env was printed:\n%s", all.String())
	}
}

func TestStoreInUse(t *testing.T) {
	c := newCLI(t)
	st, err := badgerstore.Open(c.data, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r := c.run("site", "list")
	if r.code != 1 || !strings.Contains(r.stderr, "is in use by another OpenSMS process") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("want exit 1 and the in-use sentence, got %s", r)
	}
	// Help needs no store.
	if r := c.run("site", "add", "--help"); r.code != 0 || !strings.Contains(r.stdout, "--password-env VAR") {
		t.Errorf("help with the store in use: %s", r)
	}
}
