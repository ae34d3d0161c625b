package pdf

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"opensms/core/model"
)

// seedFiles are the sample files and a few small texts that reach the
// parser's corners.
func seedFiles(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{
		"and-parens":       []byte("[PDF]\nVersion=1.0\n[Package Definition]\nProduct=X\n[Setup Package for Inventory]\nInventoryThisPackage=TRUE\nDetection Rule Part 1=(File 1 AND FILE2)\n[File 1]\nFile=a.exe\nSize=12\nVersion=1.2\n[File 2]\nFile=b.exe\nSize=x\n"),
		"utf16":            utf16le("[PDF]\r\nVersion=3.0\r\n[Package Definition]\r\nName=Café\r\nPrograms=P\r\n[P]\r\nCommandLine=p.exe\r\nUserInputRequired=maybe\r\nCanRunWhen=Sometimes\r\n"),
		"before-any":       []byte("Key=Value\n[PDF\nnot a key\n[PDF]\nVersion=1.2\n[Package Definition]\nProduct=Y\nSetupVariations=\n"),
		"cp1252-ctrl":      []byte("[PDF]\nVersion=2.0\n[Package Definition]\nName=\x80\x81\x9d\xff\n"),
		"detection-method": []byte("[PDF]\nVersion = 2.0\n[Package Definition]\nName = X\nPrograms = P\n[P]\nCommandLine = p.exe\n[DetectionMethod]\nMsiProductCode = {23170F69-40C1-2702-2409-000001000000}\nRegistryValue = [HKLM\\Software\\V]Installed=1\nRegistryValueIs64Bit = maybe\nFile = v.exe\nFileSize = 12\nFileVersion = 1\nWmi = x\n"),
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join("testdata", e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			seeds[e.Name()] = b
		}
	}
	return seeds
}

// FuzzParse: no input may panic, and whatever parses is deterministic and
// sane: a name, command lines with unique names and a command, and only
// platforms OpenSMS knows.
func FuzzParse(f *testing.F) {
	for _, b := range seedFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error with no sentence")
			}
			return
		}
		again, _ := Parse(bytes.NewReader(data))
		if !reflect.DeepEqual(res, again) {
			t.Fatal("Parse is not deterministic")
		}
		p := res.Package
		if p.Name == "" {
			t.Fatal("parsed a package with no name")
		}
		names := map[string]bool{}
		for _, c := range p.Commands {
			if c.Name == "" || strings.TrimSpace(c.Command) == "" {
				t.Fatalf("command line %+v has no name or command", c)
			}
			if names[strings.ToLower(c.Name)] {
				t.Fatalf("two command lines named %q", c.Name)
			}
			names[strings.ToLower(c.Name)] = true
			for _, pl := range c.Platforms {
				if !slices.Contains(model.Platforms, pl) {
					t.Fatalf("unknown platform %q", pl)
				}
			}
			if c.AnyPlatform && len(c.Platforms) > 0 {
				t.Fatalf("command line %q is for any platform and for %v", c.Name, c.Platforms)
			}
		}
		for i, r := range p.Detection {
			if r.Kind == model.RuleRegistry || r.Kind == model.RuleMSI {
				if err := r.Validate(); err != nil {
					t.Fatalf("rule %d from [DetectionMethod] does not validate: %v", i+1, err)
				}
			}
		}
		for _, w := range res.Warnings {
			if w == "" {
				t.Fatal("an empty warning")
			}
		}
	})
}

// TestWriteFuzzSeeds refreshes testdata/fuzz/FuzzParse when
// OPENSMS_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("OPENSMS_WRITE_SEEDS") != "1" {
		t.Skip("set OPENSMS_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seedFiles(t) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
