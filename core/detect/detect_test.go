package detect

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"opensms/core/model"
)

// dataSHA is the SHA-256 of "hello", the content of app/data.bin.
const dataSHA = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"

// fixture lays out a small installed application under a temp folder:
// a Windows program with file version 2.1.0.5, one without a version
// resource, a VERSION file, a data file and a folder.
func fixture(t testing.TB) string {
	dir := t.TempDir()
	for name, body := range map[string][]byte{
		"app/app.exe":    peFile(t, true, 2<<16|1, 0<<16|5),
		"app/plain.exe":  peFile(t, false, 0, 0),
		"app/VERSION":    []byte("\ufeff\n  1.4.2-rc1 \nignored\n"),
		"app/data.bin":   []byte("hello"),
		"app/binary.dat": {0, 1, 2, 3, 0xff},
		"app/sub/x.txt":  []byte("x"),
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// peFile builds a minimal 64-bit Windows program: headers, one .rsrc
// section and, when withVersion, a resource tree holding an icon type
// (skipped) and RT_VERSION -> name 1 -> language 0x409 -> VS_VERSIONINFO
// with the given file version words.
func peFile(t testing.TB, withVersion bool, ms, ls uint32) []byte {
	const sectRVA, sectOff, sectSize = 0x1000, 0x200, 0x200
	var rsrc bytes.Buffer
	le := func(v ...any) {
		for _, x := range v {
			if err := binary.Write(&rsrc, binary.LittleEndian, x); err != nil {
				t.Fatal(err)
			}
		}
	}
	dirHdr := func(ids uint16) { le(uint32(0), uint32(0), uint16(0), uint16(0), uint16(0), ids) }
	const sub = 1 << 31
	// Root at 0x00: two types; the icon type points at the name directory
	// too, so that finding RT_VERSION must look past it.
	dirHdr(2)
	le(uint32(3), uint32(sub|0x20), uint32(rtVersion), uint32(sub|0x20))
	// Name directory at 0x20, language directory at 0x38, data entry at 0x50.
	dirHdr(1)
	le(uint32(1), uint32(sub|0x38))
	dirHdr(1)
	le(uint32(0x409), uint32(0x50))
	// VS_VERSIONINFO at 0x60.
	key := utf16.Encode([]rune("VS_VERSION_INFO\x00"))
	var blob bytes.Buffer
	fixed := []uint32{fixedFileInfoSig, 0x10000, ms, ls, ms, ls, 0x3f, 0, 0x40004, 1, 0, 0, 0}
	w := func(v any) {
		if err := binary.Write(&blob, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	w(uint16(6 + 2*len(key) + 2 + 4*len(fixed)))
	w(uint16(4 * len(fixed)))
	w(uint16(0))
	w(key)
	w(uint16(0)) // pad to 32 bits
	w(fixed)
	le(uint32(sectRVA+0x60), uint32(blob.Len()), uint32(0), uint32(0))
	rsrc.Write(blob.Bytes())
	raw := make([]byte, sectSize)
	copy(raw, rsrc.Bytes())

	var out bytes.Buffer
	dos := make([]byte, 0x40)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], 0x40)
	out.Write(dos)
	out.WriteString("PE\x00\x00")
	oh := pe.OptionalHeader64{
		Magic: 0x20b, SectionAlignment: 0x1000, FileAlignment: 0x200,
		MajorSubsystemVersion: 6, SizeOfImage: 0x2000, SizeOfHeaders: 0x200,
		Subsystem: 3, NumberOfRvaAndSizes: 16, ImageBase: 0x140000000,
	}
	if withVersion {
		oh.DataDirectory[resourceDirEntry] = pe.DataDirectory{VirtualAddress: sectRVA, Size: uint32(rsrc.Len())}
	}
	sh := pe.SectionHeader32{
		VirtualSize: uint32(rsrc.Len()), VirtualAddress: sectRVA, SizeOfRawData: sectSize,
		PointerToRawData: sectOff, Characteristics: 0x40000040,
	}
	copy(sh.Name[:], ".rsrc")
	for _, v := range []any{
		pe.FileHeader{Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1, SizeOfOptionalHeader: uint16(binary.Size(oh)), Characteristics: 0x22},
		oh, sh,
	} {
		if err := binary.Write(&out, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	out.Write(make([]byte, sectOff-out.Len()))
	out.Write(raw)
	return out.Bytes()
}

func rule(kind model.RuleKind, path, value string) model.DetectionRule {
	return model.DetectionRule{Kind: kind, Path: path, Value: value}
}

// evalCase is one package's rules and what checking them must find. Paths
// start with $ROOT or %ROOT% (the fixture); the cases are also the fuzz
// target's seeds.
type evalCase struct {
	name   string
	rules  []model.DetectionRule
	logic  string
	want   Outcome
	reason []string // each must appear in the sentence
}

var evalCases = []evalCase{
	{"exists", []model.DetectionRule{rule(model.RuleFileExists, "$ROOT/app/data.bin", "")}, "", Holds, []string{"data.bin) exists"}},
	{"exists folder", []model.DetectionRule{rule(model.RuleFileExists, "${ROOT}/app/sub", "")}, "", Holds, []string{"the folder"}},
	{"missing", []model.DetectionRule{rule(model.RuleFileExists, "%ROOT%/app/gone.exe", "")}, "", NotHeld, []string{"rule 1: %ROOT%/app/gone.exe (", "gone.exe) does not exist"}},
	{"unset variable", []model.DetectionRule{rule(model.RuleFileExists, "%ProgramFiles%\\App\\app.exe", "")}, "", NotApplicable, []string{"ProgramFiles is not set here", `%ProgramFiles%\App\app.exe`}},
	{"percent is not a variable", []model.DetectionRule{rule(model.RuleFileExists, "$ROOT/app/100% done", "")}, "", NotHeld, []string{"100% done", "does not exist"}},
	{"size", []model.DetectionRule{rule(model.RuleFileSize, "$ROOT/app/data.bin", "5")}, "", Holds, nil},
	{"size wrong", []model.DetectionRule{rule(model.RuleFileSize, "$ROOT/app/data.bin", "6")}, "", NotHeld, []string{"data.bin", "is 5 bytes, expected 6"}},
	{"size of folder", []model.DetectionRule{rule(model.RuleFileSize, "$ROOT/app/sub", "1")}, "", NotHeld, []string{"is a folder", "expected a file of 1 bytes"}},
	{"size not a number", []model.DetectionRule{rule(model.RuleFileSize, "$ROOT/app/data.bin", "five")}, "", NotApplicable, []string{`"five"`}},
	{"sha256", []model.DetectionRule{rule(model.RuleSHA256, "$ROOT/app/data.bin", strings.ToUpper(dataSHA))}, "", Holds, nil},
	{"sha256 wrong", []model.DetectionRule{rule(model.RuleSHA256, "$ROOT/app/binary.dat", dataSHA)}, "", NotHeld, []string{"binary.dat) has SHA-256", "expected " + dataSHA}},
	{"sha256 missing", []model.DetectionRule{rule(model.RuleSHA256, "$ROOT/app/nope", dataSHA)}, "", NotHeld, []string{"nope) does not exist; expected SHA-256"}},
	{"pe version", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/app.exe", "2.1.0.5")}, "", Holds, []string{"has version 2.1.0.5"}},
	{"pe version short equal", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/app.exe", "2.1.0.5.0")}, "", Holds, nil},
	{"pe version at least", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/app.exe", ">= 2.1")}, "", Holds, nil},
	{"pe version too old", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/app.exe", ">=2.10")}, "", NotHeld, []string{"has version 2.1.0.5, expected version at least 2.10"}},
	{"pe version differs", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/app.exe", "2.1")}, "", NotHeld, []string{"expected version 2.1"}},
	{"pe without resource", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/plain.exe", "1.0")}, "", NotHeld, []string{"without a version resource"}},
	{"version file", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/VERSION", "1.4.2-rc1")}, "", Holds, nil},
	{"version file below", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/VERSION", "<1.5")}, "", Holds, nil},
	{"version file other than", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/VERSION", "!=1.4.2-RC1")}, "", NotHeld, []string{"other than 1.4.2-RC1"}},
	{"version binary file", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/binary.dat", "1")}, "", NotHeld, []string{"no version string"}},
	{"version no value", []model.DetectionRule{rule(model.RuleVersion, "$ROOT/app/VERSION", ">=")}, "", NotApplicable, nil},
	{"unknown kind", []model.DetectionRule{rule("wmi", `SELECT * FROM Win32_Product`, "1")}, "", NotApplicable, []string{`cannot check "wmi" rules`}},
	{"all must hold", []model.DetectionRule{
		rule(model.RuleFileExists, "$ROOT/app/data.bin", ""),
		rule(model.RuleFileSize, "$ROOT/app/data.bin", "7"),
	}, "", NotHeld, []string{"rule 2:", "expected 7"}},
	{"or holds", []model.DetectionRule{
		rule(model.RuleFileExists, "$ROOT/app/gone", ""),
		rule(model.RuleFileSize, "$ROOT/app/data.bin", "5"),
	}, "1 or 2", Holds, []string{"rule 2"}},
	{"or fails names both", []model.DetectionRule{
		rule(model.RuleFileExists, "$ROOT/a", ""),
		rule(model.RuleFileExists, "$ROOT/b", ""),
	}, "1 OR 2", NotHeld, []string{"none of 2 alternatives", "rule 1:", "rule 2:"}},
	{"not", []model.DetectionRule{rule(model.RuleFileExists, "$ROOT/app/data.bin", "")}, "not 1", NotHeld, []string{"expected not to"}},
	{"parentheses", []model.DetectionRule{
		rule(model.RuleFileExists, "$ROOT/app/gone", ""),
		rule(model.RuleFileSize, "$ROOT/app/data.bin", "5"),
		rule(model.RuleVersion, "$ROOT/app/app.exe", "2.1.0.5"),
	}, "(1 or 2) and NOT (1 and 3)", Holds, nil},
	{"and with unknown kind is not installed", []model.DetectionRule{
		rule(model.RuleFileExists, "$ROOT/app/data.bin", ""),
		rule("msi", "{GUID}", ""),
	}, "", NotApplicable, []string{"rule 2"}},
	{"and false beats unknown", []model.DetectionRule{
		rule("msi", "{GUID}", ""),
		rule(model.RuleFileExists, "$ROOT/gone", ""),
	}, "", NotHeld, []string{"rule 2"}},
	{"or true beats unknown", []model.DetectionRule{
		rule("msi", "{GUID}", ""),
		rule(model.RuleFileExists, "$ROOT/app", ""),
	}, "1 or 2", Holds, nil},
	{"logic does not parse", []model.DetectionRule{rule(model.RuleFileExists, "$ROOT/app", "")}, "1 and", NotApplicable, []string{"cannot be read", "ends where"}},
}

func newEval(root string) *Evaluator {
	env := map[string]string{"ROOT": root, "HOME": filepath.Join(root, "home")}
	return New(Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
}

func TestPackage(t *testing.T) {
	root := fixture(t)
	e := newEval(root)
	for _, c := range evalCases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := e.Package(c.rules, c.logic)
			if !ok {
				t.Fatal("Package reported no rules")
			}
			if got.Outcome != c.want {
				t.Fatalf("outcome %v (%s), want %v", got.Outcome, got.Reason, c.want)
			}
			for _, s := range c.reason {
				if !strings.Contains(got.Reason, s) {
					t.Errorf("reason %q does not say %q", got.Reason, s)
				}
			}
		})
	}
}

func TestNoRules(t *testing.T) {
	if r, ok := New(Options{}).Package(nil, ""); ok || r.Outcome != 0 {
		t.Fatalf("no rules gave %v, %v; want nothing to check", r, ok)
	}
}

func TestExpand(t *testing.T) {
	e := New(Options{LookupEnv: func(k string) (string, bool) {
		v, ok := map[string]string{"ProgramFiles(x86)": `C:\PF86`, "HOME": "/home/u", "A_1": "a"}[k]
		return v, ok
	}})
	for in, want := range map[string]string{
		`%ProgramFiles(x86)%\App`: `C:\PF86\App`,
		"$HOME/.app":              "/home/u/.app",
		"${A_1}b$A_1":             "aba",
		`\\srv\C$\x`:              `\\srv\C$\x`,
		"50%":                     "50%",
		"%%":                      "%%",
		"$":                       "$",
		"${}":                     "${}",
		"$1x":                     "$1x",
		"% A %":                   "% A %",
	} {
		got, err := e.expand(in)
		if err != nil || got != want {
			t.Errorf("expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := e.expand("$NOPE/x"); err == nil || !strings.Contains(err.Error(), "NOPE is not set here") {
		t.Errorf("an unset variable gave %v", err)
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.10", "2.9", 1}, {"2.0", "2.0.0.0", 0}, {"1, 0, 0, 1", "1.0.0.1", 0},
		{"1.0.0100", "1.0.99", 1}, {"1.0-beta", "1.0-BETA", 0}, {"1.0", "1.0-beta", -1},
		{"99999999999999999999999", "1", 1},
	} {
		if got := compareVersions(c.a, c.b); got != c.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// FuzzPackage checks rules and logic as a vendor's file might give them,
// against the fixture: whatever the input, the outcome is one of the three
// and explained, checking twice agrees, and NOT flips what holds.
func FuzzPackage(f *testing.F) {
	for _, c := range evalCases {
		r2 := model.DetectionRule{}
		if len(c.rules) > 1 {
			r2 = c.rules[1]
		}
		r1 := c.rules[0]
		f.Add(string(r1.Kind), r1.Path, r1.Value, string(r2.Kind), r2.Path, r2.Value, c.logic)
	}
	root := fixture(f)
	e := newEval(root)
	f.Fuzz(func(t *testing.T, k1, p1, v1, k2, p2, v2, logic string) {
		var rules []model.DetectionRule
		for _, r := range []model.DetectionRule{{Kind: model.RuleKind(k1), Path: p1, Value: v1}, {Kind: model.RuleKind(k2), Path: p2, Value: v2}} {
			if r.Kind == "" {
				continue
			}
			// Keep to the fixture: a fuzzed path may not read the machine.
			rest, ok := strings.CutPrefix(r.Path, "$ROOT/")
			if !ok {
				rest, ok = strings.CutPrefix(r.Path, "%ROOT%/")
			}
			if !ok || !filepath.IsLocal(rest) || strings.ContainsAny(rest, "$%") {
				return
			}
			rules = append(rules, r)
		}
		if len(rules) == 0 {
			return
		}
		got, ok := e.Package(rules, logic)
		if !ok {
			t.Fatal("rules reported as none")
		}
		if got.Outcome < Holds || got.Outcome > NotApplicable || got.Reason == "" {
			t.Fatalf("result %+v is not an outcome with a reason", got)
		}
		if again, _ := e.Package(rules, logic); again != got {
			t.Fatalf("checked twice: %+v then %+v", got, again)
		}
		l, err := model.ParseDetectionLogic(logic, len(rules))
		if err != nil {
			if got.Outcome != NotApplicable {
				t.Fatalf("logic %q does not parse (%v) but gave %v", logic, err, got.Outcome)
			}
			return
		}
		if len(rules) == 1 && got.Outcome == NotHeld && l.Op == model.LogicRule && !strings.Contains(got.Reason, rules[0].Path) {
			t.Fatalf("reason %q does not name the path %q", got.Reason, rules[0].Path)
		}
		neg, _ := e.Package(rules, "NOT ("+l.String()+")")
		flip := map[Outcome]Outcome{Holds: NotHeld, NotHeld: Holds, NotApplicable: NotApplicable}
		if neg.Outcome != flip[got.Outcome] && !strings.Contains(neg.Reason, "nests deeper") {
			t.Fatalf("NOT (%s) gave %v, want %v (%s)", l, neg.Outcome, flip[got.Outcome], neg.Reason)
		}
	})
}
