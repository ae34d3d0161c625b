package model

import (
	"strings"
	"testing"
)

var registryKeyCases = []struct{ in, want, err string }{
	{`HKLM\Software\Vendor\App`, `HKLM\Software\Vendor\App`, ""},
	{`hkey_local_machine\SOFTWARE\Vendor\Test Application\`, `HKLM\SOFTWARE\Vendor\Test Application`, ""},
	{` \HKCU\Software\X `, `HKCU\Software\X`, ""},
	{`HKU\.DEFAULT\Software`, `HKU\.DEFAULT\Software`, ""},
	{`HKEY_CLASSES_ROOT\Installer\Products`, `HKCR\Installer\Products`, ""},
	{`HKLM`, "", "must start with HKLM"},
	{`HKLM\`, "", "must start with HKLM"},
	{`Software\Vendor`, "", "must start with HKLM"},
	{`HKXX\Software`, "", "must start with HKLM"},
	{`HKLM\Software\\Vendor`, "", "empty key name"},
	{"HKLM\\Soft\tware", "", "control character"},
	{`HKLM\` + strings.Repeat("k", 256), "", "longer than 255"},
}

func TestParseRegistryKey(t *testing.T) {
	for _, tc := range registryKeyCases {
		got, err := ParseRegistryKey(tc.in)
		check(t, tc.in, err, tc.err)
		if got != tc.want {
			t.Errorf("ParseRegistryKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzParseRegistryKey: a key that parses parses again to itself and
// validates as a registry rule.
func FuzzParseRegistryKey(f *testing.F) {
	for _, tc := range registryKeyCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseRegistryKey(s)
		if err != nil {
			return
		}
		if again, err := ParseRegistryKey(k); err != nil || again != k {
			t.Fatalf("ParseRegistryKey(%q) = %q; parsed again: %q, %v", s, k, again, err)
		}
		if err := (DetectionRule{Kind: RuleRegistry, Key: k, View: RegistryView64}).Validate(); err != nil {
			t.Fatalf("key %q from %q does not validate: %v", k, s, err)
		}
	})
}

func TestParseProductCode(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"{23170F69-40C1-2702-2409-000001000000}", "{23170F69-40C1-2702-2409-000001000000}", ""},
		{" 23170f69-40c1-2702-2409-000001000000 ", "{23170F69-40C1-2702-2409-000001000000}", ""},
		{"", "", "is not a GUID"},
		{"{23170F69-40C1-2702-2409-00000100000}", "", "is not a GUID"},
		{"{23170F69-40C1-2702-2409+000001000000}", "", "is not a GUID"},
		{"{G3170F69-40C1-2702-2409-000001000000}", "", "is not a GUID"},
		{"{23170F69-40C1-2702-2409-000001000000", "", "is not a GUID"},
	} {
		got, err := ParseProductCode(tc.in)
		check(t, tc.in, err, tc.err)
		if got != tc.want {
			t.Errorf("ParseProductCode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseRegistryView(t *testing.T) {
	for in, want := range map[string]RegistryView{"64": RegistryView64, " 32 ": RegistryView32, "64-bit": RegistryView64, "32bit": RegistryView32, "": "", "16": ""} {
		got, err := ParseRegistryView(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("ParseRegistryView(%q) = %q, %v", in, got, err)
		}
	}
}

func TestRegistryAndMSIRules(t *testing.T) {
	reg := DetectionRule{Kind: RuleRegistry, Key: `HKLM\Software\Vendor\App`, ValueName: "IsInstalled", Value: "yes", View: RegistryView64}
	msi := DetectionRule{Kind: RuleMSI, ProductCode: "{23170F69-40C1-2702-2409-000001000000}"}
	for _, tc := range []struct {
		name string
		r    DetectionRule
		edit func(*DetectionRule)
		want string
	}{
		{"registry", reg, func(*DetectionRule) {}, ""},
		{"registry default value, any data", reg, func(r *DetectionRule) { r.ValueName, r.Value = "", "" }, ""},
		{"registry 32-bit", reg, func(r *DetectionRule) { r.View = RegistryView32 }, ""},
		{"registry no view", reg, func(r *DetectionRule) { r.View = "" }, `registry view "" is not 64 or 32`},
		{"registry long hive", reg, func(r *DetectionRule) { r.Key = `HKEY_LOCAL_MACHINE\Software` }, `must be written "HKLM\\Software"`},
		{"registry no hive", reg, func(r *DetectionRule) { r.Key = `Software\Vendor` }, "must start with HKLM"},
		{"registry with a path", reg, func(r *DetectionRule) { r.Path = "x" }, "a path or product code belongs to file and msi rules"},
		{"registry control in data", reg, func(r *DetectionRule) { r.Value = "a\nb" }, "expected data"},
		{"registry control in name", reg, func(r *DetectionRule) { r.ValueName = "a\x00" }, "value name"},
		{"msi", msi, func(*DetectionRule) {}, ""},
		{"msi lower case", msi, func(r *DetectionRule) { r.ProductCode = strings.ToLower(r.ProductCode) }, "must be written {23170F69"},
		{"msi empty", msi, func(r *DetectionRule) { r.ProductCode = "" }, "is not a GUID"},
		{"msi with a value", msi, func(r *DetectionRule) { r.Value = "1" }, "names only a product code"},
		{"file rule with a key", DetectionRule{Kind: RuleFileExists, Path: "a"}, func(r *DetectionRule) { r.Key = `HKLM\X` }, "belongs to registry and msi rules"},
		{"unknown kind", DetectionRule{Kind: "wmi"}, func(*DetectionRule) {}, `rule kind "wmi" is not one of file-exists, size, sha256, version, registry, msi`},
	} {
		r := tc.r
		tc.edit(&r)
		check(t, tc.name, r.Validate(), tc.want)
	}
	if got := reg.Subject(); got != `[HKLM\Software\Vendor\App]IsInstalled (64-bit)` {
		t.Errorf("Subject = %q", got)
	}
	if got := (DetectionRule{Kind: RuleRegistry, Key: `HKLM\X`, View: RegistryView32}).Subject(); got != `[HKLM\X](default) (32-bit)` {
		t.Errorf("Subject = %q", got)
	}
	if got := msi.Subject(); got != "MSI product {23170F69-40C1-2702-2409-000001000000}" {
		t.Errorf("Subject = %q", got)
	}
}
