package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
)

// The Package Definition Files core/pdf is tested with.
const pdfTestdata = "../../core/pdf/testdata"

func TestPackageImport(t *testing.T) {
	c, _ := fixture(t)
	src := t.TempDir()
	cases := []struct {
		file  string
		flags []string
		name  string
		cmds  int
		warn  string
	}{
		// The SMS 1.2 file's MS-DOS uninstall has no platform today.
		{"office7.pdf", []string{"--drop-unmapped"}, "Microsoft Office Professional", 4, `"Uninstall (MS-DOS clients)" left out`},
		// The 2.0 file's Itanium program gets the platform given.
		{"driverpack.sms", []string{"--platform", "windows/amd64"}, "EliteBook 840 G5 Driver Pack", 3, `"Win NT (IA64)" has no counterpart today`},
		// Configuration Manager's tooling: no SupportedClients, so any
		// platform, and --source is all it needs.
		{"test-application.sms", nil, "Test Application", 2, `"INSTALL" names no SupportedClients, so it runs on any platform`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			args := append([]string{"package", "import", filepath.Join(pdfTestdata, tc.file), "--source", src}, tc.flags...)
			r := c.run(args...)
			if r.code != 0 {
				t.Fatalf("import: %s", r)
			}
			if !strings.Contains(r.stderr, tc.warn) {
				t.Errorf("stderr should warn %q, got %q", tc.warn, r.stderr)
			}
			var p model.Package
			out := c.ok("package", "show", strings.TrimSpace(r.stdout), "--json")
			if err := json.Unmarshal([]byte(out), &p); err != nil {
				t.Fatal(err)
			}
			if p.Name != tc.name || len(p.Commands) != tc.cmds || p.Source != src {
				t.Errorf("imported %q with %d command lines from %s, want %q with %d from %s", p.Name, len(p.Commands), p.Source, tc.name, tc.cmds, src)
			}
			for _, cl := range p.Commands {
				if len(cl.Platforms) == 0 && !cl.AnyPlatform {
					t.Errorf("command line %q stored with no platform", cl.Name)
				}
			}
		})
	}
}

// The file, as an administrator imports it: --source alone, and
// what is stored is what the file says.
func TestPackageImportConfigManagerFile(t *testing.T) {
	c, _ := fixture(t)
	src := t.TempDir()
	r := c.run("package", "import", filepath.Join(pdfTestdata, "test-application.sms"), "--source", src)
	if r.code != 0 {
		t.Fatalf("import: %s", r)
	}
	var p model.Package
	c.okJSON(&p, "package", "show", strings.TrimSpace(r.stdout))
	if p.Name != "Test Application" || p.Version != "1.0.16239.1" || p.Publisher != "Fabrikam" {
		t.Errorf("stored %q %q %q", p.Name, p.Version, p.Publisher)
	}
	want := []string{
		`INSTALL: Install.cmd > "%Public%\Logs\Test_Application_1_0_16239_1_Install.cmd.log"`,
		`UNINSTALL: UnInstall.cmd > "%Public%\Logs\Test_Application_1_0_16239_1_UnInstall.cmd.log"`,
	}
	var got []string
	for _, cl := range p.Commands {
		got = append(got, cl.Name+": "+cl.Command)
		if !cl.AnyPlatform || !cl.Automated {
			t.Errorf("command line %q: any platform %v, automated %v", cl.Name, cl.AnyPlatform, cl.Automated)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("command lines\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(p.Detection) != 1 || p.Detection[0].Subject() != `[HKLM\Software\Fabrikam\Test Application]IsInstalled (64-bit)` || p.Detection[0].Value != "yes" {
		t.Errorf("detection %+v", p.Detection)
	}
	if out := c.ok("package", "show", p.ID); !strings.Contains(out, "[any platform]") {
		t.Errorf("package show:\n%s", out)
	}
}

func TestPackageImportBadInput(t *testing.T) {
	c, _ := fixture(t)
	before := c.snapshot()
	src := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.pdf")
	os.WriteFile(bad, []byte("[PDF]\nVersion=1.2\n[Package Definition]\nProduct=X\nVersion=1\nSetupVariations=Nope\n"), 0o644)
	cases := []struct {
		args []string
		err  string
	}{
		{[]string{"package", "import", filepath.Join(pdfTestdata, "office7.pdf")}, "--source is required"},
		{[]string{"package", "import", filepath.Join(pdfTestdata, "office7.pdf"), "--source", filepath.Join(src, "missing")}, "does not exist"},
		{[]string{"package", "import", filepath.Join(src, "none.pdf"), "--source", src}, "package definition file " + filepath.Join(src, "none.pdf") + " does not exist"},
		{[]string{"package", "import", filepath.Join(pdfTestdata, "missing-section.pdf"), "--source", src}, `there is no [Complete Setup] section`},
		{[]string{"package", "import", bad, "--source", src}, `"Nope"`},
		{[]string{"package", "import", filepath.Join(pdfTestdata, "office7.pdf"), "--source", src}, `"Uninstall (MS-DOS clients)" names no platform that exists today`},
		{[]string{"package", "import", filepath.Join(pdfTestdata, "office7.pdf"), "--source", src, "--platform", "os2/x86"}, `platform "os2/x86" is not one of`},
	}
	for _, tc := range cases {
		t.Run(tc.err, func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.err) || r.stdout != "" {
				t.Fatalf("want exit 2 and %q on stderr, got %s", tc.err, r)
			}
		})
	}
	if after := c.snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
}
