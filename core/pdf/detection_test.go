package pdf

import (
	"reflect"
	"strings"
	"testing"

	"opensms/core/model"
)

// The file Configuration Manager application tooling writes: spaces around
// '=', Programs=INSTALL,UNINSTALL, no SupportedClients, a registry
// detection method and an empty MsiProductCode.
func TestParseConfigManagerApplication(t *testing.T) {
	res, err := parseFile(t, "test-application.sms")
	if err != nil {
		t.Fatal(err)
	}
	p := res.Package
	if p.Name != "Test Application" || p.Version != "1.0.16239.1" || p.Publisher != "Fabrikam" {
		t.Fatalf("package %q %q %q", p.Name, p.Version, p.Publisher)
	}
	want := map[string]string{
		"INSTALL":   `Install.cmd > "%Public%\Logs\Test_Application_1_0_16239_1_Install.cmd.log"`,
		"UNINSTALL": `UnInstall.cmd > "%Public%\Logs\Test_Application_1_0_16239_1_UnInstall.cmd.log"`,
	}
	if len(p.Commands) != 2 {
		t.Fatalf("%d command lines: %+v", len(p.Commands), p.Commands)
	}
	for name, cmd := range want {
		c := commandNamed(t, p, name)
		if c.Command != cmd || !c.Automated || !c.Background || !c.AnyPlatform || len(c.Platforms) != 0 {
			t.Errorf("command line %s = %+v, want %s automated, background, any platform", name, c, cmd)
		}
		if !hasWarning(res.Warnings, `"`+name+`" names no SupportedClients, so it runs on any platform`) {
			t.Errorf("no any-platform warning for %s in:\n%s", name, strings.Join(res.Warnings, "\n"))
		}
	}
	wantRules := []model.DetectionRule{{Kind: model.RuleRegistry, Key: `HKLM\Software\Fabrikam\Test Application`, ValueName: "IsInstalled", Value: "yes", View: model.RegistryView64}}
	if !reflect.DeepEqual(p.Detection, wantRules) {
		t.Fatalf("detection %+v, want %+v", p.Detection, wantRules)
	}
	if len(res.Warnings) != 2 {
		t.Errorf("warnings beyond the two any-platform ones:\n%s", strings.Join(res.Warnings, "\n"))
	}
	p.Source = `\\fileserver\pkgsrc\Test Application`
	if err := p.Validate(); err != nil {
		t.Fatalf("the imported package does not validate: %v", err)
	}
}

func TestParseDetectionMethod(t *testing.T) {
	const head = "[PDF]\nVersion = 2.0\n[Package Definition]\nName = X\nPrograms = P\n[P]\nCommandLine = p.exe\nSupportedClients = Win NT (x64)\n[DetectionMethod]\n"
	reg := func(key, name, value string, view model.RegistryView) model.DetectionRule {
		return model.DetectionRule{Kind: model.RuleRegistry, Key: key, ValueName: name, Value: value, View: view}
	}
	const code = "{23170F69-40C1-2702-2409-000001000000}"
	for _, tc := range []struct {
		name  string
		body  string
		rules []model.DetectionRule
		warn  []string // each a part of one warning
	}{
		{"empty entries", "MsiProductCode =\nRegistryValue =\nRegistryValueIs64Bit =\n", nil, nil},
		{"msi", "MsiProductCode = 23170f69-40c1-2702-2409-000001000000\n", []model.DetectionRule{{Kind: model.RuleMSI, ProductCode: code}}, nil},
		{"msi and registry", "MsiProductCode = " + code + "\nRegistryValue = [HKEY_LOCAL_MACHINE\\Software\\V]Ver=1.0\nRegistryValueIs64Bit = FALSE\n",
			[]model.DetectionRule{{Kind: model.RuleMSI, ProductCode: code}, reg(`HKLM\Software\V`, "Ver", "1.0", model.RegistryView32)}, nil},
		{"bad msi", "MsiProductCode = Office\n", nil, []string{"MsiProductCode=Office is not a product code"}},
		{"registry without 64-bit", "RegistryValue = [HKLM\\Software\\V]Installed=1\n",
			[]model.DetectionRule{reg(`HKLM\Software\V`, "Installed", "1", model.RegistryView32)}, []string{"no RegistryValueIs64Bit", "32-bit registry"}},
		{"registry 64-bit garbage", "RegistryValue = [HKLM\\Software\\V]Installed=1\nRegistryValueIs64Bit = maybe\n",
			[]model.DetectionRule{reg(`HKLM\Software\V`, "Installed", "1", model.RegistryView32)}, []string{"RegistryValueIs64Bit=maybe is not TRUE or FALSE"}},
		{"registry value exists", "RegistryValue = [HKLM\\Software\\V]Installed\nRegistryValueIs64Bit = true\n",
			[]model.DetectionRule{reg(`HKLM\Software\V`, "Installed", "", model.RegistryView64)}, nil},
		{"registry default value", "RegistryValue = [HKCU\\Software\\V]=on\nRegistryValueIs64Bit = true\n",
			[]model.DetectionRule{reg(`HKCU\Software\V`, "", "on", model.RegistryView64)}, nil},
		{"registry data with =", "RegistryValue = [HKLM\\Software\\V]Args=a=b\nRegistryValueIs64Bit = yes\n",
			[]model.DetectionRule{reg(`HKLM\Software\V`, "Args", "a=b", model.RegistryView64)}, nil},
		{"registry not bracketed", "RegistryValue = HKLM\\Software\\V\\Installed=1\nRegistryValueIs64Bit = true\n", nil, []string{"is not [KEY]NAME=DATA"}},
		{"registry unclosed", "RegistryValue = [HKLM\\Software\\V Installed=1\nRegistryValueIs64Bit = true\n", nil, []string{"is not [KEY]NAME=DATA"}},
		{"registry bad hive", "RegistryValue = [HKXX\\Software\\V]Installed=1\nRegistryValueIs64Bit = true\n", nil, []string{"must start with HKLM", "no registry rule"}},
		{"64-bit alone", "RegistryValueIs64Bit = true\n", nil, []string{"without a RegistryValue"}},
		{"file", "File = %ProgramFiles%\\V\\v.exe\nFileSize = 1024\nFileVersion = 2.1\n", []model.DetectionRule{
			{Kind: model.RuleFileSize, Path: `%ProgramFiles%\V\v.exe`, Value: "1024"},
			{Kind: model.RuleVersion, Path: `%ProgramFiles%\V\v.exe`, Value: "2.1"}}, nil},
		{"file path, bad size", "FilePath = v.exe\nFileSize = big\n", []model.DetectionRule{{Kind: model.RuleFileExists, Path: "v.exe"}}, []string{"FileSize=big is not a number"}},
		{"file version without file", "FileVersion = 2\n", nil, []string{"no File"}},
		{"unknown entries", "WmiQuery = SELECT 1\nScript = check.ps1\n", nil, []string{"WmiQuery, Script are not a detection method"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse(strings.NewReader(head + tc.body))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !reflect.DeepEqual(res.Package.Detection, tc.rules) {
				t.Errorf("rules %+v, want %+v", res.Package.Detection, tc.rules)
			}
			if tc.warn == nil && len(res.Warnings) > 0 {
				t.Errorf("warnings:\n%s", strings.Join(res.Warnings, "\n"))
			}
			if tc.warn != nil && !hasWarning(res.Warnings, tc.warn...) {
				t.Errorf("no warning saying %q in:\n%s", tc.warn, strings.Join(res.Warnings, "\n"))
			}
			for i, r := range res.Package.Detection {
				if err := r.Validate(); err != nil {
					t.Errorf("rule %d does not validate: %v", i+1, err)
				}
			}
		})
	}
}

// Rules from [DetectionMethod] are ANDed onto rules an expression already
// combines, so that the package still validates and none is ignored.
func TestDetectionMethodJoinsLogic(t *testing.T) {
	f := parseINI("[DetectionMethod]\nMsiProductCode = {23170F69-40C1-2702-2409-000001000000}\n")
	p := &parser{f: f}
	pkg := model.Package{Name: "X", Source: "/srv/x",
		Detection:      []model.DetectionRule{{Kind: model.RuleFileExists, Path: "a"}, {Kind: model.RuleFileExists, Path: "b"}},
		DetectionLogic: "1 OR 2"}
	p.detectionMethod(&pkg)
	if pkg.DetectionLogic != "(1 OR 2) AND 3" || len(pkg.Detection) != 3 {
		t.Fatalf("logic %q with %d rules", pkg.DetectionLogic, len(pkg.Detection))
	}
	if err := pkg.Validate(); err != nil {
		t.Fatal(err)
	}
}

// A 2.0 program with SupportedClients keeps its platforms; one whose only
// platform is gone is not made any-platform.
func TestSupportedClientsDecideAnyPlatform(t *testing.T) {
	res, err := parseFile(t, "driverpack.sms")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Package.Commands {
		if c.AnyPlatform {
			t.Errorf("command line %q with SupportedClients became any platform", c.Name)
		}
	}
}
