package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/pack/packtest"
	"opensms/storage/sambatest"
)

// pcmSite is an Administrator's data dir whose site share and first
// distribution server are on one smbd and whose second distribution server
// is on another, so the first server can go down alone; plus a client's
// own data dir for smsctl pcm.
type pcmSite struct {
	admin  *cli
	client *cli
	site   *sambatest.Server // SITE and DIST2
	dist1  *sambatest.Server // DIST1
	out    string            // where the packages leave their effects
	fp     string            // the site key's fingerprint
}

func newPcmSite(t *testing.T) *pcmSite { return newHardenedPcmSite(t, sambatest.Plain) }

// newHardenedPcmSite is newPcmSite with both smbd hardened by p and, when
// hardened, slow to write as a busy server is (every write waits for the
// disk, one thread does them): Samba then answers writes with interim
// responses, which are not signed.
func newHardenedPcmSite(t *testing.T, p sambatest.Profile) *pcmSite {
	opt := sambatest.Options{User: "opensms", Password: "pcm-e2e-" + fmt.Sprint(os.Getpid()), Profile: p}
	if p != sambatest.Plain {
		opt.Global = []string{"sync always = yes", "aio max threads = 1"}
	}
	siteOpt, distOpt := opt, opt
	siteOpt.Shares, distOpt.Shares = []string{"SITE", "DIST2"}, []string{"DIST1"}
	s := &pcmSite{site: sambatest.Start(t, siteOpt), dist1: sambatest.Start(t, distOpt), out: t.TempDir()}
	s.admin = newCLI(t)
	s.client = &cli{t: t, data: filepath.Join(t.TempDir(), "client")}
	env := []string{"SMB_PW=" + opt.Password}
	s.admin.env, s.client.env = env, env
	s.admin.ok("site", "add", "--code", "S01", "--name", "Head Office", "--share", s.site.URL("SITE"), "--password-env", "SMB_PW")
	s.admin.ok("server", "add", "--site", "S01", "--name", "DIST1", "--url", s.dist1.URL("DIST1"), "--password-env", "SMB_PW", "--default")
	s.admin.ok("server", "add", "--site", "S01", "--name", "DIST2", "--url", s.site.URL("DIST2"), "--password-env", "SMB_PW", "--default")
	s.admin.ok("computer", "add", "--site", "S01", "--name", "PC001", "--platform", runtime.GOOS+"/"+runtime.GOARCH)
	s.fp = strings.TrimSpace(s.admin.ok("key", "show"))
	return s
}

// job makes a package whose script writes effect into s.out, and a
// mandatory job of it for PC001; it returns the job's ID.
func (s *pcmSite) job(t *testing.T, effect string) string { return s.jobWith(t, effect, 0) }

// jobWith is job with a package that also holds payload random bytes.
func (s *pcmSite) jobWith(t *testing.T, effect string, payload int) string {
	src := t.TempDir()
	if payload > 0 {
		b := make([]byte, payload)
		rand.Read(b)
		os.WriteFile(filepath.Join(src, "payload.bin"), b, 0o644)
	}
	script := fmt.Sprintf("echo \"$OPENSMS_JOB ran on $OPENSMS_COMPUTER\" > %s\necho installed\n", filepath.Join(s.out, effect))
	os.WriteFile(filepath.Join(src, "install.sh"), []byte(script), 0o644)
	pkg := strings.TrimSpace(s.admin.ok("package", "add", "--name", "Hello "+effect, "--version", "1.0", "--source", src,
		"--command-name", "Install", "--command", "sh install.sh", "--platform", runtime.GOOS+"/"+runtime.GOARCH, "--automated"))
	return strings.TrimSpace(s.admin.ok("job", "add", "--package", pkg, "--target", "computer:PC001", "--mandatory-after", "now"))
}

// complete checks that the Administrator sees the job Complete with exit
// code 0, and that the script's effect is on disk.
func (s *pcmSite) complete(t *testing.T, id, effect string) {
	t.Helper()
	s.admin.ok("watchdog", "run-once")
	var view struct {
		Job       model.Job            `json:"job"`
		Computers []model.TargetStatus `json:"computers"`
	}
	s.admin.okJSON(&view, "job", "status", id)
	if view.Job.Status.State != model.JobComplete || len(view.Computers) != 1 || view.Computers[0].State != model.TargetComplete ||
		view.Computers[0].ExitCode == nil || *view.Computers[0].ExitCode != 0 {
		t.Fatalf("job status after the client ran: %+v", view)
	}
	if out := s.admin.ok("job", "status", id); !strings.Contains(out, "complete") {
		t.Errorf("job status:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(s.out, effect))
	if err != nil || strings.TrimSpace(string(b)) != id+" ran on PC001" {
		t.Fatalf("the script's effect: %q, %v", b, err)
	}
}

// The "done when": smsctl makes the package, site, servers,
// computer and job; the watchdog offers it; smsctl pcm enrols as PC001 and
// runs what is due; the watchdog collects Complete. Then again with the
// first distribution server down.
func TestPcmEndToEnd(t *testing.T) {
	s := newPcmSite(t)
	id := s.job(t, "first")
	out := s.admin.ok("watchdog", "run-once")
	if !strings.Contains(out, "offered to 1 computer") {
		t.Fatalf("run-once did not offer the job:\n%s", out)
	}

	// A key that is not the site's is refused, and nothing is enrolled.
	wrong := "SHA256:" + strings.Repeat("A", 43)
	if r := s.client.run("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", wrong); r.code != 2 ||
		!strings.Contains(r.stderr, s.fp) || !strings.Contains(r.stderr, "not the trusted one") {
		t.Fatalf("enrol trusting another key: %s", r)
	}
	if r := s.client.run("pcm", "list"); r.code != 2 || !strings.Contains(r.stderr, "not enrolled") {
		t.Fatalf("list before enrolling: %s", r)
	}
	// Unattended without --trust: it shows the fingerprint and refuses.
	if r := s.client.run("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001"); r.code != 2 || !strings.Contains(r.stdout, s.fp) {
		t.Fatalf("enrol without --trust: %s", r)
	}
	out = s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "pc001", "--trust", s.fp)
	if !strings.Contains(out, "S01 (Head Office)") || !strings.Contains(out, "PC001") {
		t.Fatalf("enroll printed:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(s.site.Dir("SITE"), "inventory", "PC001.json")); err != nil {
		t.Fatalf("no inventory after enrolling: %v", err)
	}
	var offers []client.Offer
	s.client.okJSON(&offers, "pcm", "list")
	if len(offers) != 1 || offers[0].Job != id || offers[0].State != client.OfferDue {
		t.Fatalf("pcm list: %+v", offers)
	}
	r := s.client.run("pcm", "run", "--due")
	if r.code != 0 || !strings.Contains(r.stdout, "installed") || !strings.Contains(r.stderr, "downloading from S01/DIST1") {
		t.Fatalf("pcm run --due: %s", r)
	}
	s.complete(t, id, "first")
	// Not twice: nothing is due any more.
	if out := s.client.ok("pcm", "run", "--due"); !strings.Contains(out, "nothing is due") {
		t.Errorf("second pcm run --due:\n%s", out)
	}

	// The first server goes down after the watchdog put the package on both.
	id2 := s.job(t, "second")
	if out := s.admin.ok("watchdog", "run-once"); !strings.Contains(out, "offered to 1 computer") {
		t.Fatalf("run-once did not offer the second job:\n%s", out)
	}
	s.dist1.Stop()
	var ran []client.HistoryEntry
	s.client.okJSON(&ran, "pcm", "run", "--due")
	if len(ran) != 1 || ran[0].Job != id2 || ran[0].Server != "S01/DIST2" || ran[0].State != model.TargetComplete {
		t.Fatalf("pcm run --due with DIST1 down: %+v", ran)
	}
	s.complete(t, id2, "second")

	var hist []client.HistoryEntry
	s.client.okJSON(&hist, "pcm", "history")
	if len(hist) != 2 || hist[0].Job != id2 || hist[1].Job != id || hist[1].Server != "S01/DIST1" {
		t.Fatalf("pcm history: %+v", hist)
	}
	if out := s.client.ok("pcm", "history"); !strings.Contains(out, id) || !strings.Contains(out, "complete") {
		t.Errorf("pcm history:\n%s", out)
	}
	// Nothing the client printed or stored holds the password in clear.
	data, _ := json.Marshal(hist)
	if strings.Contains(string(data), "pcm-e2e-") {
		t.Error("history holds the password")
	}
	if out := s.client.ok("pcm", "show"); !strings.Contains(out, s.fp) || strings.Contains(out, "pcm-e2e-") {
		t.Errorf("pcm show:\n%s", out)
	}
}

// The "done when" for hardened servers: the site share and both
// distribution servers require signing (Samba's asynchronous I/O on), or
// encryption; the package goes out, the client enrolled on that site share
// fetches and runs it, and the job comes back Complete.
func TestPcmEndToEndHardenedServers(t *testing.T) {
	for _, p := range sambatest.Profiles {
		t.Run(p.String(), func(t *testing.T) {
			s := newHardenedPcmSite(t, p)
			// Big enough that Samba answers writes asynchronously, with
			// unsigned interim answers.
			id := s.jobWith(t, "hardened", 24<<20)
			if out := s.admin.ok("watchdog", "run-once"); !strings.Contains(out, "offered to 1 computer") {
				t.Fatalf("run-once did not offer the job:\n%s", out)
			}
			s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", s.fp)
			if r := s.client.run("pcm", "run", "--due"); r.code != 0 || !strings.Contains(r.stdout, "installed") {
				t.Fatalf("pcm run --due: %s", r)
			}
			s.complete(t, id, "hardened")
		})
	}
}

// An archive swapped on the distribution servers for a valid one of the
// same size (whose script would leave the effect) is refused by its hash:
// nothing runs, and the run says so.
func TestPcmTamperedArchiveRefused(t *testing.T) {
	s := newPcmSite(t)
	id := s.job(t, "signed")
	s.admin.ok("watchdog", "run-once")
	var view struct {
		Job model.Job `json:"job"`
	}
	s.admin.okJSON(&view, "job", "status", id)
	evil := t.TempDir()
	os.WriteFile(filepath.Join(evil, "install.sh"), []byte("echo evil > "+filepath.Join(s.out, "signed")+"\n"), 0o644)
	sub := packtest.Substitute(t, evil, view.Job.Status.ArchiveSize)
	for _, dir := range []string{s.dist1.Dir("DIST1"), s.site.Dir("DIST2")} {
		arc := filepath.Join(dir, view.Job.Package, view.Job.Status.Archive+pack.ArchiveExt)
		if err := os.WriteFile(arc, sub, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.client.ok("pcm", "enroll", "--site-share", s.site.URL("SITE"), "--password-env", "SMB_PW", "--name", "PC001", "--trust", s.fp)
	r := s.client.run("pcm", "run", "--due")
	if r.code == 0 || !strings.Contains(r.stderr+r.stdout, "does not match the signed hash") {
		t.Fatalf("pcm run --due with the archive swapped: %s", r)
	}
	if _, err := os.Stat(filepath.Join(s.out, "signed")); err == nil {
		t.Fatal("the swapped archive ran")
	}
}
