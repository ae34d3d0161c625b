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
				if len(cl.Platforms) == 0 {
					t.Errorf("command line %q stored with no platform", cl.Name)
				}
			}
		})
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
