package model

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// RuleKinds are the detection rule kinds, in the order shown to users.
var RuleKinds = []RuleKind{RuleFileExists, RuleFileSize, RuleSHA256, RuleVersion, RuleRegistry, RuleMSI}

func ruleKindList() string {
	names := make([]string, len(RuleKinds))
	for i, k := range RuleKinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// RegistryView is which registry a rule reads on 64-bit Windows. On 32-bit
// Windows there is one registry and both views read it.
type RegistryView string

// Registry views.
const (
	RegistryView64 RegistryView = "64"
	RegistryView32 RegistryView = "32" // what 32-bit programs see (WOW6432Node)
)

// ParseRegistryView reads "64" or "32" (also "64-bit", "32bit").
func ParseRegistryView(s string) (RegistryView, error) {
	v := strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "bit"), "-")
	switch RegistryView(v) {
	case RegistryView64, RegistryView32:
		return RegistryView(v), nil
	}
	return "", invalidf("registry view %q is not 64 or 32", s)
}

// registryHives are the roots a registry key may start with: the short name
// is the one OpenSMS stores.
var registryHives = [...]struct{ short, long string }{
	{"HKLM", "HKEY_LOCAL_MACHINE"},
	{"HKCU", "HKEY_CURRENT_USER"},
	{"HKCR", "HKEY_CLASSES_ROOT"},
	{"HKU", "HKEY_USERS"},
	{"HKCC", "HKEY_CURRENT_CONFIG"},
}

// maxRegistryKeyName is Windows' limit on one key name.
const maxRegistryKeyName = 255

// ParseRegistryKey reads a registry key as administrators write it,
// HKLM\Software\Vendor\App or HKEY_LOCAL_MACHINE\Software\Vendor\App, and
// returns it with the short hive name (HKLM, HKCU, HKCR, HKU, HKCC) and no
// backslash at either end.
func ParseRegistryKey(s string) (string, error) {
	hive, sub, ok := SplitRegistryKey(s)
	if !ok {
		return "", invalidf("registry key %q must start with HKLM, HKCU, HKCR, HKU or HKCC (or their HKEY_ names), a backslash and a subkey", s)
	}
	if !utf8.ValidString(sub) || hasCtl(sub) {
		return "", invalidf("registry key %q holds a control character or invalid UTF-8", s)
	}
	for _, name := range strings.Split(sub, `\`) {
		if name == "" {
			return "", invalidf("registry key %q has an empty key name (two backslashes in a row)", s)
		}
		if utf8.RuneCountInString(name) > maxRegistryKeyName {
			return "", invalidf("registry key %q has a key name longer than %d characters", s, maxRegistryKeyName)
		}
	}
	return hive + `\` + sub, nil
}

// SplitRegistryKey splits a key into its short hive name and the subkey
// below it; ok is false when it names no hive or no subkey.
func SplitRegistryKey(key string) (hive, subkey string, ok bool) {
	root, sub, _ := strings.Cut(strings.Trim(strings.TrimSpace(key), `\`), `\`)
	for _, h := range registryHives {
		if strings.EqualFold(root, h.short) || strings.EqualFold(root, h.long) {
			return h.short, sub, sub != ""
		}
	}
	return "", "", false
}

// ParseProductCode reads a Windows Installer product code, a GUID with or
// without braces, and returns it as Windows Installer wants it: in braces,
// upper case.
func ParseProductCode(s string) (string, error) {
	g := strings.TrimSpace(s)
	if strings.HasPrefix(g, "{") && strings.HasSuffix(g, "}") {
		g = g[1 : len(g)-1]
	}
	g = strings.ToUpper(g)
	ok := len(g) == 36
	for i := 0; ok && i < len(g); i++ {
		switch c := g[i]; i {
		case 8, 13, 18, 23:
			ok = c == '-'
		default:
			ok = c >= '0' && c <= '9' || c >= 'A' && c <= 'F'
		}
	}
	if !ok {
		return "", invalidf("MSI product code %q is not a GUID such as {23170F69-40C1-2702-2409-000001000000}", s)
	}
	return "{" + g + "}", nil
}

func (r DetectionRule) validateRegistry() error {
	if r.Path != "" || r.ProductCode != "" {
		return invalidf("registry rule for %s: a path or product code belongs to file and msi rules", r.Key)
	}
	k, err := ParseRegistryKey(r.Key)
	if err != nil {
		return err
	}
	if k != r.Key {
		return invalidf("registry key %q must be written %q", r.Key, k)
	}
	if hasCtl(r.ValueName) || !utf8.ValidString(r.ValueName) {
		return invalidf("registry rule for %s: value name %q holds a control character or invalid UTF-8", r.Key, r.ValueName)
	}
	if hasCtl(r.Value) || !utf8.ValidString(r.Value) {
		return invalidf("registry rule for %s: expected data %q holds a control character or invalid UTF-8", r.Key, r.Value)
	}
	if _, err := ParseRegistryView(string(r.View)); err != nil {
		return fmt.Errorf("registry rule for %s: %w", r.Key, err)
	}
	return nil
}

func (r DetectionRule) validateMSI() error {
	if r.Path != "" || r.Value != "" || r.Key != "" || r.ValueName != "" || r.View != "" {
		return invalidf("msi rule for %s: it names only a product code, no path, value, key or view", r.ProductCode)
	}
	c, err := ParseProductCode(r.ProductCode)
	if err != nil {
		return err
	}
	if c != r.ProductCode {
		return invalidf("MSI product code %q must be written %s", r.ProductCode, c)
	}
	return nil
}

// Subject names what the rule looks at, as a user reads it: the file's
// path; the registry value as [HKLM\Software\Vendor\App]Name (64-bit);
// or the MSI product code.
func (r DetectionRule) Subject() string {
	switch r.Kind {
	case RuleRegistry:
		name := r.ValueName
		if name == "" {
			name = "(default)"
		}
		return fmt.Sprintf("[%s]%s (%s-bit)", r.Key, name, r.View)
	case RuleMSI:
		return "MSI product " + r.ProductCode
	}
	return r.Path
}
