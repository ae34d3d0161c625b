package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"opensms/core/model"
)

// Issue 15's "done when", through the smsctl binary against real Samba:
// a package whose rule already holds does not run and reads "already
// installed"; an installer that exits 0 without making its rule hold
// fails naming the rule's path, and the job that failed everywhere is
// Failed; once the package is fixed, job rerun --failed runs it again and
// the job ends Complete; a command line for another platform is warned
// about at job add, not offered, and reads not applicable.
func TestDetectionAndRerunEndToEnd(t *testing.T) {
	s := newPcmSite(t)
	app := filepath.Join(s.out, "app")
	s.client.env = append(s.client.env, "OSMS_E2E_APP="+app)
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "present.txt"), []byte("here"), 0o644)
	s.admin.ok("watchdog", "run-once") // publishes site.json
	s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", s.fp)
	here := runtime.GOOS + "/" + runtime.GOARCH

	pkg := func(name, script, rulePath string) (id, src string) {
		src = t.TempDir()
		os.WriteFile(filepath.Join(src, "install.sh"), []byte(script), 0o644)
		id = strings.TrimSpace(s.admin.ok("package", "add", "--name", name, "--version", "1.0", "--source", src,
			"--command-name", "Install", "--command", "sh install.sh", "--platform", here, "--automated"))
		if n := strings.TrimSpace(s.admin.ok("package", "detect", "add", id, "--kind", "file-exists", "--path", rulePath)); n != "1" {
			t.Fatalf("detect add printed %q, want rule number 1", n)
		}
		return id, src
	}
	status := func(id string) (model.Job, []model.TargetStatus) {
		t.Helper()
		var view struct {
			Job       model.Job            `json:"job"`
			Computers []model.TargetStatus `json:"computers"`
		}
		s.admin.okJSON(&view, "job", "status", id)
		return view.Job, view.Computers
	}
	runDue := func() result {
		s.admin.ok("watchdog", "run-once")
		r := s.client.run("pcm", "run", "--due")
		s.admin.ok("watchdog", "run-once")
		return r
	}

	// Already installed: nothing runs.
	ran := filepath.Join(s.out, "ran-installed")
	p1, _ := pkg("Installed", "touch "+ran+"\n", "$OSMS_E2E_APP/present.txt")
	if out := s.admin.ok("package", "show", p1); !strings.Contains(out, "detection rule 1:  file-exists $OSMS_E2E_APP/present.txt") {
		t.Errorf("package show does not list the rule:\n%s", out)
	}
	j1 := strings.TrimSpace(s.admin.ok("job", "add", "--package", p1, "--target", "computer:PC001", "--mandatory-after", "now"))
	if r := runDue(); r.code != 0 || !strings.Contains(r.stderr, j1+": complete, already installed") {
		t.Fatalf("pcm run --due of an installed package: %s", r)
	}
	if _, err := os.Stat(ran); err == nil {
		t.Error("the installer of an installed package ran")
	}
	if job, cs := status(j1); job.Status.State != model.JobComplete || len(cs) != 1 || !cs[0].AlreadyInstalled {
		t.Fatalf("job %s: %+v %+v", j1, job.Status, cs)
	}
	if out := s.admin.ok("job", "list"); !strings.Contains(out, "complete (1 already installed)") {
		t.Errorf("job list:\n%s", out)
	}

	// Exit 0 without installing: failed, naming the path; the job Failed.
	p2, src2 := pkg("Broken", "echo pretending\n", "$OSMS_E2E_APP/broken.bin")
	j2 := strings.TrimSpace(s.admin.ok("job", "add", "--package", p2, "--target", "computer:PC001", "--mandatory-after", "now"))
	if r := runDue(); r.code != 1 || !strings.Contains(r.stderr, "broken.bin") {
		t.Fatalf("pcm run --due of a broken installer: %s", r)
	}
	job, cs := status(j2)
	if job.Status.State != model.JobFailed || len(cs) != 1 || cs[0].State != model.TargetFailed ||
		!strings.Contains(cs[0].LastError, "$OSMS_E2E_APP/broken.bin ("+filepath.Join(app, "broken.bin")+") does not exist") {
		t.Fatalf("job %s: %+v %+v", j2, job.Status, cs)
	}
	if out := s.admin.ok("job", "status", j2); !strings.Contains(out, "state:            failed (1 failed)") {
		t.Errorf("job status:\n%s", out)
	}

	// Fixed, and run again on the failed computer: Complete.
	if r := s.admin.run("job", "rerun", j1, "--failed"); r.code != 2 || !strings.Contains(r.stderr, "no computer failed job "+j1) {
		t.Errorf("rerun of a job nothing failed: %s", r)
	}
	if r := s.admin.run("job", "rerun", j2, "--all", "--computer", "PC001"); r.code != 2 {
		t.Errorf("rerun with two choices: %s", r)
	}
	os.WriteFile(filepath.Join(src2, "install.sh"), []byte(fmt.Sprintf("touch %q\n", filepath.Join(app, "broken.bin"))), 0o644)
	if out := s.admin.ok("job", "rerun", j2, "--failed"); !strings.Contains(out, "runs again on 1 computer") {
		t.Errorf("rerun printed %q", out)
	}
	if job, _ := status(j2); job.Status.State != model.JobActive || job.Status.Waiting() != 1 {
		t.Errorf("after rerun: %+v", job.Status)
	}
	if r := runDue(); r.code != 0 {
		t.Fatalf("pcm run --due after the rerun: %s", r)
	}
	if job, cs := status(j2); job.Status.State != model.JobComplete || cs[0].Gen() != 2 || cs[0].State != model.TargetComplete {
		t.Fatalf("job %s after the rerun: %+v %+v", j2, job.Status, cs)
	}
	if out := s.admin.ok("event", "list"); !strings.Contains(out, "job "+j2+" runs again on 1 failed computer, as ") {
		t.Errorf("no event says who asked:\n%s", out)
	}

	// Another platform's command line: warned, not offered, not applicable.
	other := "windows/amd64"
	if runtime.GOOS == "windows" {
		other = "linux/amd64"
	}
	p3 := strings.TrimSpace(s.admin.ok("package", "add", "--name", "Office 97", "--version", "97", "--source", src2,
		"--command-name", "Setup", "--command", "setup.exe", "--platform", other, "--automated"))
	r := s.admin.run("job", "add", "--package", p3, "--target", "site:S01")
	if r.code != 0 || !strings.Contains(r.stderr, `1 of 1 target computer cannot run command line "Setup", which runs on `+other+": 1 is "+here+" (PC001)") {
		t.Fatalf("job add of another platform's command line: %s", r)
	}
	j3 := strings.TrimSpace(r.stdout)
	s.admin.ok("watchdog", "run-once")
	if out := s.client.ok("pcm", "list"); strings.Contains(out, j3) {
		t.Errorf("the job is offered to a computer that cannot run it:\n%s", out)
	}
	if job, cs := status(j3); job.Status.State != model.JobFailed || cs[0].State != model.TargetNotApplicable || job.Status.TargetsFailed != 0 {
		t.Errorf("job %s: %+v %+v", j3, job.Status, cs)
	}
}
