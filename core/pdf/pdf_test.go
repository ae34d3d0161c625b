package pdf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"opensms/core/model"
)

func parseFile(t *testing.T, name string) (Result, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return Parse(bytes.NewReader(b))
}

func commandNamed(t *testing.T, p model.Package, name string) model.CommandLine {
	t.Helper()
	c, ok := p.Command(name)
	if !ok {
		t.Fatalf("no command line %q in %+v", name, p.Commands)
	}
	return c
}

func hasWarning(ws []string, parts ...string) bool {
	for _, w := range ws {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return true
		}
	}
	return false
}

func win(ps ...string) []model.Platform {
	out := make([]model.Platform, len(ps))
	for i, p := range ps {
		out[i] = model.Platform("windows/" + p)
	}
	return out
}

func TestParseSMS12Office(t *testing.T) {
	res, err := parseFile(t, "office7.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Package
	if p.Name != "Microsoft Office Professional" || p.Version != "7.0" {
		t.Fatalf("package %q %q", p.Name, p.Version)
	}
	// Windows-1252 curly quotes and dash decoded to UTF-8.
	if !strings.Contains(p.Comment, "— “Typical” is") {
		t.Fatalf("comment %q was not decoded from Windows-1252", p.Comment)
	}
	if p.Sharing != (model.Sharing{ShareName: "OFFICE7", Access: "UserRead, UserWrite, GuestRead"}) {
		t.Fatalf("sharing %+v", p.Sharing)
	}
	if len(p.Commands) != 5 {
		t.Fatalf("%d command lines, want 5: %+v", len(p.Commands), p.Commands)
	}
	compact := commandNamed(t, p, "Automated Compact Setup")
	if compact.Command != `setup.exe /q1 /b3 /c "SMS"` || !compact.Automated || !reflect.DeepEqual(compact.Platforms, win("386")) {
		t.Fatalf("compact %+v", compact)
	}
	if !reflect.DeepEqual(compact.SuccessCodes, []int{0}) || !reflect.DeepEqual(compact.SoftRebootCodes, []int{3010}) {
		t.Fatalf("compact exit codes %+v", compact)
	}
	// Lower-case section and keys are the same section and keys.
	typical := commandNamed(t, p, "Automated Typical Setup")
	if typical.Command != "setup.exe /q1 /b1" || !typical.Automated || !reflect.DeepEqual(typical.Platforms, win("386")) {
		t.Fatalf("typical %+v", typical)
	}
	if manual := commandNamed(t, p, "Manual Setup"); manual.Automated {
		t.Fatalf("manual setup with UserInputRequired=TRUE is automated: %+v", manual)
	}
	uninstall := commandNamed(t, p, "Uninstall (MS-DOS clients)")
	if len(uninstall.Platforms) != 0 {
		t.Fatalf("uninstall kept platforms %v", uninstall.Platforms)
	}
	wantRules := []model.DetectionRule{
		{Kind: model.RuleFileSize, Path: "WINWORD.EXE", Value: "3845120"},
		{Kind: model.RuleFileSize, Path: "EXCEL.EXE", Value: "5032448"},
	}
	if !reflect.DeepEqual(p.Detection, wantRules) {
		t.Fatalf("detection %+v", p.Detection)
	}

	for _, w := range [][]string{
		{`"Automated Compact Setup"`, `"Windows NT (Alpha)"`, "dropped"},
		{`"Automated Complete Setup"`, `"Windows NT (MIPS)" and "Windows NT (Alpha)"`},
		{`"Uninstall (MS-DOS clients)"`, `"MS-DOS" and "Windows 3.1"`},
		{`"Uninstall (MS-DOS clients)" is kept with no platform`},
		{"SynchronousSystemExitRequired", "Automated Typical Setup"},
		{"WorkstationAccess"},
		{"Program Item Properties"},
		{"[File 1] WINWORD.EXE: Date, CRC are not checked"},
	} {
		if !hasWarning(res.Warnings, w...) {
			t.Errorf("no warning saying %q in:\n%s", w, strings.Join(res.Warnings, "\n"))
		}
	}
	if hasWarning(res.Warnings, "[File 2]") {
		t.Errorf("a warning about [File 2], which has only File and Size:\n%s", strings.Join(res.Warnings, "\n"))
	}
}

func TestParseSMS20DriverPack(t *testing.T) {
	res, err := parseFile(t, "driverpack.sms")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Package
	if p.Name != "EliteBook 840 G5 Driver Pack" || p.Version != "1.00 A 7" || p.Publisher != "Hewlett-Packard" {
		t.Fatalf("package %+v", p)
	}
	install := commandNamed(t, p, "Install Drivers")
	if install.Automated || install.Background || !reflect.DeepEqual(install.Platforms, win("amd64")) {
		t.Fatalf("install %+v", install)
	}
	silent := commandNamed(t, p, "Silent Install")
	if silent.Command != `"Install Drivers\setup.exe" /s /norestart` || !silent.Automated || !silent.Background ||
		!reflect.DeepEqual(silent.Platforms, win("amd64", "386")) {
		t.Fatalf("silent %+v", silent)
	}
	itanium := commandNamed(t, p, "Itanium Install")
	if len(itanium.Platforms) != 0 || !itanium.Background {
		t.Fatalf("itanium %+v", itanium)
	}
	if !hasWarning(res.Warnings, `"Silent Install"`, "StartIn=Install Drivers") {
		t.Errorf("no StartIn warning in:\n%s", strings.Join(res.Warnings, "\n"))
	}
	if hasWarning(res.Warnings, `"Install Drivers": StartIn`) {
		t.Errorf("StartIn=. warned about:\n%s", strings.Join(res.Warnings, "\n"))
	}
	if !hasWarning(res.Warnings, `"Win NT (IA64)"`, "dropped") {
		t.Errorf("no warning about IA64 in:\n%s", strings.Join(res.Warnings, "\n"))
	}
}

func TestParsedPackageValidates(t *testing.T) {
	res, err := parseFile(t, "driverpack.sms")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Package
	p.Source = `\\fileserver\drivers\840g5`
	// The command line whose only platform is gone must be given one
	// before the package validates; that is the administrator's choice.
	err = p.Validate()
	if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), "Itanium Install") {
		t.Fatalf("Validate with a platformless command line = %v", err)
	}
	for i := range p.Commands {
		if len(p.Commands[i].Platforms) == 0 {
			p.Commands[i].Platforms = win("amd64")
		}
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("driver pack does not validate: %v", err)
	}

	res, err = parseFile(t, "office7.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p = res.Package
	p.Source = "/srv/sources/office7"
	p.Commands = p.Commands[:4] // the MS-DOS uninstall has no platform left
	if err := p.Validate(); err != nil {
		t.Fatalf("office package does not validate: %v", err)
	}
}

func TestParseRefuses(t *testing.T) {
	if _, err := parseFile(t, "missing-section.pdf"); err == nil || err.Error() != `SetupVariations names "Complete", but there is no [Complete Setup] section` {
		t.Fatalf("Parse of a file missing a section = %v", err)
	}
	for _, tc := range []struct {
		name, text, want string
	}{
		{"no pdf section", "[Package Definition]\nProduct=X\n", "no [PDF] section"},
		{"bad version", "[PDF]\nVersion=banana\n[Package Definition]\nProduct=X\n", `Version="banana"`},
		{"no definition", "[PDF]\nVersion=1.0\n", "no [Package Definition] section"},
		{"no product", "[PDF]\nVersion=1.0\n[Package Definition]\nVersion=1\n", "has no Product"},
		{"no name", "[PDF]\nVersion=2.0\n[Package Definition]\nProduct=X\n", "has no Name"},
		{"missing program", "[PDF]\nVersion=2.0\n[Package Definition]\nName=X\nPrograms=A, B\n[A]\nCommandLine=a.exe\n", `the Programs key names "B", but there is no [B] section`},
		{"no command line", "[PDF]\nVersion=1.0\n[Package Definition]\nProduct=X\nSetupVariations=Typical\n[Typical Setup]\nCommandName=T\n", "[Typical Setup] has no CommandLine"},
		{"missing file section", "[PDF]\nVersion=1.0\n[Package Definition]\nProduct=X\n[Setup Package for Inventory]\nInventoryThisPackage=TRUE\nDetection Rule Part 1=File 3\n", `the detection rule's part 1 names "File 3", but there is no [File 3] section`},
		{"too large", "[PDF]\nVersion=1.0\n;" + strings.Repeat("x", MaxSize), "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.text))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestParseDetectionWithOR(t *testing.T) {
	res, err := parseFile(t, "or-rule.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Package.Detection; len(d) != 2 || d[0].Path != "NETSCAPE.EXE" || d[1].Path != "NAVIGATR.EXE" || res.Package.DetectionLogic != "1 OR 2" {
		t.Fatalf("an OR rule was imported as %+v, %q", d, res.Package.DetectionLogic)
	}
	if _, err := model.ParseDetectionLogic(res.Package.DetectionLogic, len(res.Package.Detection)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ rule, logic, warn string }{
		{"File 1 AND NOT (File 2 OR File 1)", "1 AND 2 AND NOT (3 OR (1 AND 2))", ""},
		{"(File 1 AND File 2", "", "cannot be read"},
		{"File 1 AND File 2", "", ""},
	} {
		text := "[PDF]\nVersion=1.0\n[Package Definition]\nProduct=X\n[Setup Package for Inventory]\nInventoryThisPackage=TRUE\n" +
			"Detection Rule Part 1=" + c.rule + "\n[File 1]\nFile=a.exe\nSize=12\nVersion=1.2\n[File 2]\nFile=b.exe\n"
		res, err := Parse(strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		p := res.Package
		if p.DetectionLogic != c.logic || (c.warn == "") != (len(p.Detection) == 3) || (c.warn != "" && !hasWarning(res.Warnings, c.warn)) {
			t.Errorf("%s: %d rules, logic %q, warnings %q", c.rule, len(p.Detection), p.DetectionLogic, res.Warnings)
		}
	}
	if c := res.Package.Commands[0]; !c.Automated || c.Name != "Silent" {
		t.Fatalf("UserInputRequired=NO: %+v", c)
	}
}

func TestParseText(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"utf-8 bom", []byte("\xef\xbb\xbf[PDF]\nVersion=2.0\n[Package Definition]\nName=Café\nPrograms=\n")},
		{"windows-1252", []byte("[PDF]\r\nVersion=2.0\r\n[Package Definition]\r\nName=Caf\xe9\r\n")},
		{"utf-16le", utf16le("[PDF]\r\nVersion=2.0\r\n[Package Definition]\r\nName=Café\r\n")},
		{"spaces and case", []byte("  [ pdf ]  \n  VERSION = 2.0 \n[PACKAGE DEFINITION]\n name = \"Café\" \n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if res.Package.Name != "Café" {
				t.Fatalf("name %q", res.Package.Name)
			}
		})
	}
}

func utf16le(s string) []byte {
	out := []byte{0xff, 0xfe}
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return out
}

func TestMapPlatform(t *testing.T) {
	for _, tc := range []struct {
		name  string
		want  []model.Platform
		known bool
	}{
		{"Windows NT (x86)", win("386"), true},
		{"Windows NT 4.0 (x86)", win("386"), true},
		{"Windows NT 3.51 (x86)", win("386"), true},
		{"Win NT (x86)", win("386"), true},
		{"Win NT (I386)", win("386"), true},
		{"Windows 95", win("386"), true},
		{"Win 9x", win("386"), true},
		{"Win NT (x64)", win("amd64"), true},
		{"Windows NT (Alpha)", nil, true},
		{"Windows NT (MIPS)", nil, true},
		{"Windows NT (PPC)", nil, true},
		{"Win NT (IA64)", nil, true},
		{"MS-DOS", nil, true},
		{"Windows 3.1", nil, true},
		{"Win 3.x", nil, true},
		{"Windows for Workgroups", nil, true},
		{"OS/2", nil, true},
		{"Macintosh", nil, true},
		{"BeOS", nil, false},
	} {
		got, known := mapPlatform(tc.name)
		if !reflect.DeepEqual(got, tc.want) || known != tc.known {
			t.Errorf("mapPlatform(%q) = %v, %v; want %v, %v", tc.name, got, known, tc.want, tc.known)
		}
	}
}

func TestDuplicateCommandNames(t *testing.T) {
	res, err := Parse(strings.NewReader("[PDF]\nVersion=1.0\n[Package Definition]\nProduct=X\nSetupVariations=A,B\n[A Setup]\nCommandName=Install\nCommandLine=a\nSupportedPlatforms=Windows 95\n[B Setup]\nCommandName=install\nCommandLine=b\nSupportedPlatforms=Windows 95\n"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Package.Commands[1].Name != "install (2)" || !hasWarning(res.Warnings, `"install (2)"`) {
		t.Fatalf("commands %+v, warnings %q", res.Package.Commands, res.Warnings)
	}
}

func TestParseDetectionAND(t *testing.T) {
	res, err := Parse(bytes.NewReader(seedFiles(t)["and-parens"]))
	if err != nil {
		t.Fatal(err)
	}
	want := []model.DetectionRule{
		{Kind: model.RuleFileSize, Path: "a.exe", Value: "12"},
		{Kind: model.RuleVersion, Path: "a.exe", Value: "1.2"},
		{Kind: model.RuleFileExists, Path: "b.exe"},
	}
	if !reflect.DeepEqual(res.Package.Detection, want) {
		t.Fatalf("detection %+v", res.Package.Detection)
	}
	if !hasWarning(res.Warnings, "[File 2] Size=x is not a number") {
		t.Fatalf("warnings %q", res.Warnings)
	}
	if len(res.Package.Commands) != 0 || !hasWarning(res.Warnings, "no SetupVariations") {
		t.Fatalf("a package with no variations: %+v, %q", res.Package.Commands, res.Warnings)
	}
}
