package detect

import (
	"strings"
	"testing"

	"opensms/core/model"
)

func regRule(value string) model.DetectionRule {
	return model.DetectionRule{Kind: model.RuleRegistry, Key: `HKLM\Software\Fabrikam\App`, ValueName: "IsInstalled", Value: value, View: model.RegistryView64}
}

func TestMatchRegistry(t *testing.T) {
	sz := func(s ...string) registryData { return registryData{typ: "REG_SZ", form: formString, strs: s} }
	dword := func(n uint64) registryData { return registryData{typ: "REG_DWORD", form: formNumber, num: n} }
	bin := func(b ...byte) registryData { return registryData{typ: "REG_BINARY", form: formBinary, raw: b} }
	for _, tc := range []struct {
		name   string
		expect string
		data   registryData
		want   Outcome
		reason string
	}{
		{"string equal", "yes", sz("yes"), Holds, `[HKLM\Software\Fabrikam\App]IsInstalled (64-bit) is REG_SZ "yes"`},
		{"string differs", "yes", sz("no"), NotHeld, `is REG_SZ "no"; expected "yes"`},
		{"string case differs", "yes", sz("Yes"), NotHeld, `expected "yes"`},
		{"exists only", "", sz("anything"), Holds, `exists (REG_SZ "anything")`},
		{"multi one of", "b", registryData{typ: "REG_MULTI_SZ", form: formString, strs: []string{"a", "b"}}, Holds, `REG_MULTI_SZ "a", "b"`},
		{"multi empty", "b", registryData{typ: "REG_MULTI_SZ", form: formString}, NotHeld, `expected "b"`},
		{"dword decimal", "1", dword(1), Holds, "REG_DWORD 1 (0x1)"},
		{"dword leading zero is decimal", "010", dword(10), Holds, ""},
		{"dword hex", "0x1F", dword(31), Holds, ""},
		{"dword differs", "2", dword(1), NotHeld, `expected "2"`},
		{"dword expected not a number", "yes", dword(1), NotHeld, `the expected "yes" is not a number`},
		{"binary", "01 02 ff", bin(1, 2, 0xff), Holds, "REG_BINARY 0102ff"},
		{"binary differs", "0102", bin(1, 3), NotHeld, `expected "0102"`},
		{"binary expected not hex", "zz", bin(1), NotHeld, "is not hex digits"},
		{"long binary clipped", "", bin(make([]byte, 40)...), Holds, "… (40 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := matchRegistry(regRule(tc.expect), tc.data)
			if got.Outcome != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Fatalf("matchRegistry = %v %q; want %v containing %q", got.Outcome, got.Reason, tc.want, tc.reason)
			}
		})
	}
}

func TestMSIResult(t *testing.T) {
	r := model.DetectionRule{Kind: model.RuleMSI, ProductCode: "{23170F69-40C1-2702-2409-000001000000}"}
	for _, tc := range []struct {
		state  msiState
		want   Outcome
		reason string
	}{
		{msiDefault, Holds, "MSI product {23170F69-40C1-2702-2409-000001000000} is installed"},
		{msiUnknown, NotHeld, "is not installed; expected it installed"},
		{msiAdvertised, NotHeld, "only advertised"},
		{msiAbsent, NotHeld, "installed for another user"},
		{msiInvalidArg, NotApplicable, "refused"},
		{3, NotHeld, "answers state 3"},
	} {
		got := msiResult(r, tc.state)
		if got.Outcome != tc.want || !strings.Contains(got.Reason, tc.reason) {
			t.Errorf("msiResult(%d) = %v %q; want %v containing %q", tc.state, got.Outcome, got.Reason, tc.want, tc.reason)
		}
	}
}
