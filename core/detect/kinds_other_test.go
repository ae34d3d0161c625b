//go:build !windows

package detect

import (
	"strings"
	"testing"

	"opensms/core/model"
)

// Off Windows a registry or MSI rule is not applicable here, alone and
// combined: a package whose only rule is one of them is never "installed",
// and none makes an AND hold.
func TestWindowsKindsNotApplicableHere(t *testing.T) {
	e := New(Options{})
	msi := model.DetectionRule{Kind: model.RuleMSI, ProductCode: "{23170F69-40C1-2702-2409-000001000000}"}
	for _, r := range []model.DetectionRule{regRule("yes"), regRule(""), msi} {
		got := e.Rule(r)
		if got.Outcome != NotApplicable || !strings.Contains(got.Reason, "checked only on Windows") || !strings.Contains(got.Reason, r.Subject()) {
			t.Errorf("Rule(%s) = %v %q", r.Subject(), got.Outcome, got.Reason)
		}
	}
	dir := t.TempDir()
	exists := model.DetectionRule{Kind: model.RuleFileExists, Path: dir}
	for _, tc := range []struct {
		logic string
		want  Outcome
	}{
		{"", NotApplicable},        // 1 AND 2 AND 3: the file holds, the others cannot be checked
		{"1 AND 2", NotApplicable}, // nor can they make it hold
		{"1 OR 2 OR 3", Holds},     // the file alone is enough
		{"NOT 2 AND 1 AND 3", NotApplicable},
	} {
		got, ok := e.Package([]model.DetectionRule{exists, regRule("yes"), msi}, tc.logic)
		if !ok || got.Outcome != tc.want {
			t.Errorf("Package with logic %q = %v %q, want %v", tc.logic, got.Outcome, got.Reason, tc.want)
		}
	}
}
