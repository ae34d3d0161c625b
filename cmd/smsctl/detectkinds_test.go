package main

import (
	"strings"
	"testing"

	"opensms/core/model"
)

// package detect add --kind registry|msi: the flags of each kind, written
// as the model wants them, listed and shown; bad input refused with one
// sentence and nothing stored.
func TestDetectAddRegistryAndMSI(t *testing.T) {
	c, id := fixture(t)
	if n := strings.TrimSpace(c.ok("package", "detect", "add", id, "--kind", "registry", "--key", `HKEY_LOCAL_MACHINE\Software\Fabrikam\App\`,
		"--value-name", "IsInstalled", "--value", "yes", "--view", "32")); n != "1" {
		t.Fatalf("detect add printed %q, want 1", n)
	}
	c.ok("package", "detect", "add", id, "--kind", "registry", "--key", `HKCU\Software\Fabrikam`)
	c.ok("package", "detect", "add", id, "--kind", "msi", "--product-code", "23170f69-40c1-2702-2409-000001000000")
	var p model.Package
	c.okJSON(&p, "package", "show", id)
	want := []model.DetectionRule{
		{Kind: model.RuleRegistry, Key: `HKLM\Software\Fabrikam\App`, ValueName: "IsInstalled", Value: "yes", View: model.RegistryView32},
		{Kind: model.RuleRegistry, Key: `HKCU\Software\Fabrikam`, View: model.RegistryView64},
		{Kind: model.RuleMSI, ProductCode: "{23170F69-40C1-2702-2409-000001000000}"},
	}
	if len(p.Detection) != len(want) {
		t.Fatalf("stored rules %+v", p.Detection)
	}
	for i := range want {
		if p.Detection[i] != want[i] {
			t.Errorf("rule %d = %+v, want %+v", i+1, p.Detection[i], want[i])
		}
	}
	list := c.ok("package", "detect", "list", id)
	for _, s := range []string{`[HKLM\Software\Fabrikam\App]IsInstalled (32-bit)`, `[HKCU\Software\Fabrikam](default) (64-bit)`, "MSI product {23170F69-40C1-2702-2409-000001000000}"} {
		if !strings.Contains(list, s) {
			t.Errorf("detect list does not show %q:\n%s", s, list)
		}
	}
	if show := c.ok("package", "show", id); !strings.Contains(show, `registry [HKLM\Software\Fabrikam\App]IsInstalled (32-bit)  expected yes`) {
		t.Errorf("package show:\n%s", show)
	}

	before := c.ok("package", "show", id, "--json")
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"--kind", "registry"}, "--key is required"},
		{[]string{"--kind", "registry", "--key", `Software\Fabrikam`}, `registry key "Software\\Fabrikam" must start with HKLM`},
		{[]string{"--kind", "registry", "--key", `HKLM\Software\X`, "--view", "16"}, `registry view "16" is not 64 or 32`},
		{[]string{"--kind", "registry", "--key", `HKLM\Software\X`, "--path", "x"}, "a path or product code belongs to file and msi rules"},
		{[]string{"--kind", "msi"}, "--product-code is required"},
		{[]string{"--kind", "msi", "--product-code", "Office"}, `MSI product code "Office" is not a GUID`},
		{[]string{"--kind", "msi", "--product-code", "{23170F69-40C1-2702-2409-000001000000}", "--value", "1"}, "names only a product code"},
		{[]string{"--kind", "file-exists"}, "--path is required"},
		{[]string{"--kind", "wmi", "--path", "x"}, `rule kind "wmi" is not one of file-exists, size, sha256, version, registry, msi`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := c.run(append([]string{"package", "detect", "add", id}, tc.args...)...)
			if r.code != 2 || !strings.Contains(r.stderr, tc.err) || r.stdout != "" {
				t.Fatalf("want exit 2 and %q on stderr, got %s", tc.err, r)
			}
		})
	}
	if after := c.ok("package", "show", id, "--json"); after != before {
		t.Errorf("bad input changed the package:\nbefore %s\nafter  %s", before, after)
	}
}
