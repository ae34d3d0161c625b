package admin_test

import (
	"fmt"
	"testing"

	"opensms/core/admin"
	"opensms/core/model"
)

func TestDetectionRules(t *testing.T) {
	r := newRig(t)
	id := r.fx.Package
	must(t)(r.api.AddDetectionRule(bg, id, model.DetectionRule{Kind: model.RuleFileExists, Path: "$HOME/hello/a"}))
	must(t)(r.api.AddDetectionRule(bg, id, model.DetectionRule{Kind: model.RuleFileSize, Path: "$HOME/hello/b", Value: "5"}))
	p := pkgOK(t)(r.api.SetDetectionLogic(bg, id, "1 or not 2"))
	if p.DetectionLogic != "1 OR NOT 2" {
		t.Errorf("logic stored as %q", p.DetectionLogic)
	}
	p = pkgOK(t)(r.api.AddDetectionRule(bg, id, model.DetectionRule{Kind: model.RuleVersion, Path: "$HOME/hello/VERSION", Value: ">=1.0"}))
	if p.DetectionLogic != "(1 OR NOT 2) AND 3" || len(p.Detection) != 3 {
		t.Errorf("after adding: %q, %d rules", p.DetectionLogic, len(p.Detection))
	}
	p = pkgOK(t)(r.api.RemoveDetectionRule(bg, id, 1))
	if p.DetectionLogic != "NOT 1 AND 2" || p.Detection[0].Path != "$HOME/hello/b" {
		t.Errorf("after removing rule 1: %q, %+v", p.DetectionLogic, p.Detection)
	}
	before := r.snapshot()
	_, err := r.api.RemoveDetectionRule(bg, id, 9)
	wantRefused(t, err, admin.KindInvalid, fmt.Sprintf("package %s has detection rules 1 to 2; there is no rule 9", id))
	_, err = r.api.SetDetectionLogic(bg, id, "1 and")
	wantRefused(t, err, admin.KindInvalid, `detection logic "1 and" ends where a rule number or ( is expected`)
	_, err = r.api.AddDetectionRule(bg, id, model.DetectionRule{Kind: model.RuleSHA256, Path: "/x", Value: "abc"})
	wantRefused(t, err, admin.KindInvalid, `detection rule 3: sha256 rule for "/x": "abc" is not 64 hex digits`)
	if r.snapshot() != before {
		t.Error("a refused change changed the package")
	}
	p = pkgOK(t)(r.api.SetDetectionLogic(bg, id, ""))
	if p.DetectionLogic != "" {
		t.Errorf("logic not cleared: %q", p.DetectionLogic)
	}
}

func TestJobWarnsOfComputersThatCannotRunIt(t *testing.T) {
	r := newRig(t)
	for _, c := range []admin.ComputerRequest{{Name: "WIN1", Site: "S01", Platform: "windows/amd64"}, {Name: "WIN2", Site: "S01", Platform: "windows/amd64"}, {Name: "NEW", Site: "S01"}} {
		must(t)(r.api.AddComputer(bg, c))
	}
	created, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetSite, Name: "S01"}})
	if err != nil {
		t.Fatal(err)
	}
	want := `2 of 4 target computers cannot run command line "Install", which runs on linux/amd64: 2 are windows/amd64 (WIN1, WIN2); they will not be offered the job and will read not applicable`
	if fmt.Sprint(created.Warnings) != "["+want+"]" {
		t.Errorf("warnings = %q\nwant %q", created.Warnings, want)
	}
	one, err := r.api.AddJob(bg, model.Job{Package: r.fx.Package, Target: model.Target{Kind: model.TargetComputer, Name: "PC001"}})
	if err != nil || len(one.Warnings) != 0 {
		t.Errorf("a job PC001 can run warns: %q, %v", one.Warnings, err)
	}
	_, err = r.api.RerunJob(bg, admin.RerunRequest{Job: created.Job.ID})
	wantRefused(t, err, admin.KindInvalid, fmt.Sprintf("job %s has not started yet, so there is nothing to run again", created.Job.ID))
	_, err = r.api.RerunJob(bg, admin.RerunRequest{Job: "S0199999"})
	wantRefused(t, err, admin.KindNotFound, "job S0199999 does not exist")
}

// pkgOK returns the package of a call that must succeed.
func pkgOK(t *testing.T) func(model.Package, error) model.Package {
	return func(p model.Package, err error) model.Package {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
}
