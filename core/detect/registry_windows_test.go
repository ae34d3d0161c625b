package detect

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/windows/registry"

	"opensms/core/model"
)

// testKey makes a key under HKCU (writable without rights) holding one
// value of each type, and removes it when the test ends.
func testKey(t *testing.T) string {
	t.Helper()
	sub := fmt.Sprintf(`Software\OpenSMS-test\%d-%d`, os.Getpid(), time.Now().UnixNano())
	k, _, err := registry.CreateKey(registry.CURRENT_USER, sub, registry.ALL_ACCESS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		k.Close()
		registry.DeleteKey(registry.CURRENT_USER, sub)
		registry.DeleteKey(registry.CURRENT_USER, `Software\OpenSMS-test`) // only if empty
	})
	for _, err := range []error{
		k.SetStringValue("IsInstalled", "yes"),
		k.SetStringValue("", "default data"),
		k.SetExpandStringValue("Dir", `%ProgramFiles%\App`),
		k.SetStringsValue("Features", []string{"core", "docs"}),
		k.SetDWordValue("Build", 16239),
		k.SetQWordValue("Big", 1<<40),
		k.SetBinaryValue("Blob", []byte{1, 2, 0xff}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return `HKCU\` + sub
}

func TestRegistryRulesOnWindows(t *testing.T) {
	key := testKey(t)
	e := New(Options{})
	r := func(name, value string) model.DetectionRule {
		return model.DetectionRule{Kind: model.RuleRegistry, Key: key, ValueName: name, Value: value, View: model.RegistryView64}
	}
	for _, tc := range []struct {
		name   string
		rule   model.DetectionRule
		want   Outcome
		reason string
	}{
		{"string", r("IsInstalled", "yes"), Holds, `IsInstalled (64-bit) is REG_SZ "yes"`},
		{"string differs", r("IsInstalled", "no"), NotHeld, `expected "no"`},
		{"exists", r("IsInstalled", ""), Holds, "exists"},
		{"default value", r("", "default data"), Holds, "(default)"},
		{"expand string as stored", r("Dir", `%ProgramFiles%\App`), Holds, "REG_EXPAND_SZ"},
		{"multi string", r("Features", "docs"), Holds, "REG_MULTI_SZ"},
		{"dword", r("Build", "16239"), Holds, "REG_DWORD 16239"},
		{"dword hex", r("Build", "0x3F6F"), Holds, ""},
		{"qword", r("Big", "1099511627776"), Holds, "REG_QWORD"},
		{"binary", r("Blob", "0102ff"), Holds, "REG_BINARY 0102ff"},
		{"missing value", r("Nope", "1"), NotHeld, "does not exist"},
		{"missing key", model.DetectionRule{Kind: model.RuleRegistry, Key: key + `\Missing`, ValueName: "X", View: model.RegistryView64}, NotHeld, "registry key " + key + `\Missing (64-bit) does not exist`},
		// HKCU is shared by both views, so the 32-bit view finds it too.
		{"32-bit view of HKCU", model.DetectionRule{Kind: model.RuleRegistry, Key: key, ValueName: "IsInstalled", Value: "yes", View: model.RegistryView32}, Holds, "(32-bit)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.rule.Validate(); err != nil {
				t.Fatal(err)
			}
			got := e.Rule(tc.rule)
			if got.Outcome != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("Rule = %v %q; want %v containing %q", got.Outcome, got.Reason, tc.want, tc.reason)
			}
		})
	}
}

// The 64-bit and 32-bit views of HKLM\SOFTWARE differ on 64-bit Windows:
// Windows itself keeps ProgramFilesDir as "C:\Program Files" in one and
// "C:\Program Files (x86)" in the other.
func TestRegistryViewsOnWindows(t *testing.T) {
	dir64, dir32 := os.Getenv("ProgramW6432"), os.Getenv("ProgramFiles(x86)")
	if dir64 == "" || dir32 == "" {
		t.Skip("32-bit Windows has one registry view")
	}
	e := New(Options{})
	r := model.DetectionRule{Kind: model.RuleRegistry, Key: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion`, ValueName: "ProgramFilesDir"}
	for _, tc := range []struct {
		view   model.RegistryView
		expect string
		want   Outcome
	}{
		{model.RegistryView64, dir64, Holds},
		{model.RegistryView32, dir32, Holds},
		{model.RegistryView64, dir32, NotHeld},
		{model.RegistryView32, dir64, NotHeld},
	} {
		r.View, r.Value = tc.view, tc.expect
		if got := e.Rule(r); got.Outcome != tc.want {
			t.Errorf("%s-bit view expecting %q: %v %q, want %v", tc.view, tc.expect, got.Outcome, got.Reason, tc.want)
		}
	}
}
