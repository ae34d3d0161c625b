package watchdog_test

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
	"opensms/storage/shares"
)

// report plays the client: it writes a status with attempts through SMB,
// atomically, as core/client does.
func (r *rig) report(job, computer string, state model.TargetState, attempts int) {
	r.t.Helper()
	code := 1
	if state == model.TargetComplete {
		code = 0
	}
	data, err := protocol.EncodeStatus(computerKey(computer), protocol.Status{Format: protocol.StatusFormat, Job: job, Computer: computer, Generation: 1,
		State: state, ExitCode: &code, Attempts: attempts, Written: time.Now()})
	must(r.t, err)
	name, err := protocol.StatusPath(computer, job)
	must(r.t, err)
	must(r.t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
}

// target returns the stored status of one computer's part of a job.
func (r *rig) target(job, computer string) model.TargetStatus {
	r.t.Helper()
	list, err := r.st.ListTargetStatuses(bg, job)
	must(r.t, err)
	for _, ts := range list {
		if ts.Computer == computer {
			return ts
		}
	}
	r.t.Fatalf("job %s has no status for %s", job, computer)
	return model.TargetStatus{}
}

func (r *rig) wantTarget(job, computer string, state model.TargetState, attempts int) {
	r.t.Helper()
	if ts := r.target(job, computer); ts.State != state || ts.Attempts != attempts {
		r.t.Fatalf("%s in job %s: %s after %d attempts, want %s after %d\nlog:\n%s", computer, job, ts.State, ts.Attempts, state, attempts, r.log)
	}
}

// insTime is the modification time of a computer's instruction file.
func (r *rig) insTime(computer string) time.Time {
	r.t.Helper()
	name, err := protocol.InstructionsPath(computer)
	must(r.t, err)
	fi, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), name))
	must(r.t, err)
	return fi.ModTime()
}

// Collect lists status folders and skips what it has seen; every change a
// client makes must still arrive: a folder that appears after many cycles,
// a file rewritten after the watchdog trusted it unchanged, a rewrite of
// the same size.
func TestStatusChangesAreCollected(t *testing.T) {
	r := newRig(t)
	j := r.addJob(nil)
	r.runOnce()
	r.runOnce() // no status/ folder yet
	r.wantTarget(j.ID, "PC001", model.TargetOffered, 0)

	r.report(j.ID, "PC001", model.TargetRunning, 1)
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetRunning, 1)
	r.runOnce()
	r.runOnce() // PC001's folder is now trusted unchanged

	r.report(j.ID, "PC001", model.TargetRetrying, 1)
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetRetrying, 1)
	r.runOnce()
	r.runOnce()
	r.report(j.ID, "PC001", model.TargetRetrying, 2) // the same size, other content
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetRetrying, 2)

	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetOffered, 0)
	r.report(j.ID, "PC002", model.TargetComplete, 1) // its folder appears now
	r.runOnce()
	r.wantTarget(j.ID, "PC002", model.TargetComplete, 1)

	r.report(j.ID, "PC001", model.TargetComplete, 3)
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetComplete, 3)
	r.wantState(j.ID, model.JobComplete)
}

// A status file rewritten in place (not as the protocol asks: its folder's
// time does not change) is still found, by the recheck of trusted folders.
func TestStatusRewrittenInPlaceIsFound(t *testing.T) {
	r := newRig(t)
	clock := time.Now()
	r.service(watchdog.Config{Now: func() time.Time { return clock }})
	j := r.addJob(nil)
	r.runOnce()
	r.report(j.ID, "PC001", model.TargetRunning, 1)
	for range 3 {
		r.runOnce()
	}
	r.wantTarget(j.ID, "PC001", model.TargetRunning, 1)

	code := 0
	data, err := protocol.EncodeStatus(computerKey("PC001"), protocol.Status{Format: protocol.StatusFormat, Job: j.ID, Computer: "PC001", Generation: 1,
		State: model.TargetComplete, ExitCode: &code, Attempts: 1, Written: time.Now()})
	must(t, err)
	name, err := protocol.StatusPath("PC001", j.ID)
	must(t, err)
	full := filepath.Join(r.smb.Dir("SITE"), filepath.FromSlash(name))
	dir := filepath.Dir(full)
	before, err := os.Stat(dir)
	must(t, err)
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	_, err = f.Write(data)
	must(t, err)
	must(t, f.Close())
	must(t, os.Chtimes(dir, before.ModTime(), before.ModTime())) // as if the folder's time had not moved

	clock = clock.Add(11 * time.Minute)
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetComplete, 1)
}

// A restarted watchdog knows nothing of what the last one collected or
// wrote: it keeps the statuses collected before, collects what came in
// while it was down, and rewrites no instruction file that is right.
func TestRestartKeepsStatusesAndInstructions(t *testing.T) {
	r := newRig(t)
	j := r.addJob(nil)
	r.runOnce()
	r.report(j.ID, "PC001", model.TargetComplete, 1)
	r.runOnce()
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetComplete, 1)
	if n := len(r.instructions("PC001").Offers); n != 1 {
		t.Fatalf("PC001 completed its job and has %d offers, want it left (settled) in place", n)
	}
	t1, t2 := r.insTime("PC001"), r.insTime("PC002")

	r.service(watchdog.Config{})
	r.report(j.ID, "PC002", model.TargetRunning, 1) // while the watchdog was down
	r.runOnce()
	r.wantTarget(j.ID, "PC001", model.TargetComplete, 1)
	r.wantTarget(j.ID, "PC002", model.TargetRunning, 1)
	if !r.insTime("PC001").Equal(t1) || !r.insTime("PC002").Equal(t2) {
		t.Error("the restarted watchdog rewrote instruction files that were right")
	}
	if n := len(r.instructions("PC002").Offers); n != 1 {
		t.Errorf("PC002 has %d offers, want 1", n)
	}
}

// Many computers: instruction files are written and status files read
// several at a time, over more than one session to the share; each
// computer gets its own file and its own result, and nothing temporary is
// left.
func TestManyComputersAtOnce(t *testing.T) {
	r := newRig(t)
	r.service(watchdog.Config{SiteConcurrency: 8})
	var cs []model.Computer
	for i := range 210 { // past opsPerSession: a second session works too
		cs = append(cs, withKey(model.Computer{Name: fmt.Sprintf("MANY%03d", i), Site: siteCode, Platform: "linux/amd64"}))
	}
	must(t, r.st.PutComputers(bg, cs...))
	priv, err := r.st.SiteKey(bg, siteCode)
	must(t, err)
	offers := func(c string) []protocol.Offer {
		t.Helper()
		name, err := protocol.InstructionsPath(c)
		must(t, err)
		data, err := os.ReadFile(filepath.Join(r.smb.Dir("SITE"), filepath.FromSlash(name)))
		must(t, err)
		ins, err := protocol.DecodeInstructions(priv.Public().(ed25519.PublicKey), data)
		if err != nil || ins.Computer != c {
			t.Fatalf("instructions of %s: %+v, %v", c, ins, err)
		}
		return ins.Offers
	}
	j := r.addJob(nil)
	r.runOnce()
	for _, c := range cs {
		if o := offers(c.Name); len(o) != 1 || o[0].Job != j.ID {
			t.Fatalf("offers of %s: %+v", c.Name, o)
		}
	}
	site := r.siteFS()
	for i, c := range cs {
		state, attempts := model.TargetComplete, 1
		if i%2 == 1 {
			state, attempts = model.TargetFailed, 2
		}
		code := 0
		data, err := protocol.EncodeStatus(computerKey(c.Name), protocol.Status{Format: protocol.StatusFormat, Job: j.ID, Computer: c.Name, Generation: 1,
			State: state, ExitCode: &code, Attempts: attempts, Written: time.Now()})
		must(t, err)
		name, err := protocol.StatusPath(c.Name, j.ID)
		must(t, err)
		must(t, share.WriteFileAtomic(bg, site, name, data))
	}
	r.runOnce()
	list, err := r.st.ListTargetStatuses(bg, j.ID)
	must(t, err)
	got := map[string]model.TargetStatus{}
	for _, ts := range list {
		got[ts.Computer] = ts
	}
	for i, c := range cs {
		want, attempts := model.TargetComplete, 1
		if i%2 == 1 {
			want, attempts = model.TargetFailed, 2
		}
		if ts := got[c.Name]; ts.State != want || ts.Attempts != attempts {
			t.Errorf("%s: %s after %d attempts, want %s after %d", c.Name, ts.State, ts.Attempts, want, attempts)
		}
		// A completed offer is left in place; a failed one is withdrawn.
		if o := offers(c.Name); len(o) != map[bool]int{true: 1, false: 0}[want == model.TargetComplete] {
			t.Errorf("%s has %d offers after its result (%s)", c.Name, len(o), want)
		}
	}
	r.wantTarget(j.ID, "PC001", model.TargetOffered, 0)
	r.noTemps("SITE")
}

// The new settings have defaults, and bad values are refused.
func TestSiteSettingsValidated(t *testing.T) {
	for _, n := range []int{-1, watchdog.MaxConcurrency + 1} {
		c := watchdog.Config{SiteConcurrency: n}.Defaults("/data")
		if err := c.Validate(); err == nil {
			t.Errorf("site concurrency %d accepted", n)
		}
	}
	for _, n := range []int{-1, watchdog.MaxSiteSessions + 1} {
		if err := (watchdog.Config{SiteSessions: n}).Defaults("/data").Validate(); err == nil {
			t.Errorf("site sessions %d accepted", n)
		}
	}
	if err := (watchdog.Config{StateDir: "relative"}).Defaults("/data").Validate(); err == nil {
		t.Error("a relative state directory accepted")
	}
	c := (watchdog.Config{}).Defaults("/data")
	if c.SiteConcurrency != watchdog.DefaultSiteConcurrency || c.SiteSessions != watchdog.DefaultSiteSessions || c.StateDir != "/data/watchdog" || c.Validate() != nil {
		t.Errorf("defaults: site concurrency %d, sessions %d, state dir %q", c.SiteConcurrency, c.SiteSessions, c.StateDir)
	}
}

// A restarted watchdog trusts the digests it kept of the instruction files
// it wrote while the share lists them unchanged: it reads none back. With
// the kept index lost or damaged it reads them back, and still rewrites
// none that is right.
func TestRestartTrustsKeptInstructionDigests(t *testing.T) {
	r := newRig(t)
	r.addJob(nil)
	r.runOnce()
	r.runOnce() // the share's times of the files written go into the index
	t1, t2 := r.insTime("PC001"), r.insTime("PC002")
	index := filepath.Join(r.st.Dir(), "watchdog", "instructions.json")
	if _, err := os.Stat(index); err != nil {
		t.Fatalf("no instruction index kept: %v", err)
	}
	for _, tc := range []struct {
		name      string
		damage    func()
		wantReads int
	}{
		{"index kept", func() {}, 0},
		{"index damaged", func() { writeFile(t, index, []byte("{not json")) }, 2},
		{"index of another format", func() { writeFile(t, index, []byte(`{"format":"opensms-watchdog-instructions/0","files":{}}`)) }, 2},
		{"index gone", func() { must(t, os.Remove(index)) }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.damage()
			counter := &countingOpener{Opener: shares.NewOpener(), n: map[string]int{}, d: map[string]time.Duration{}}
			r.op = &faultOpener{Opener: counter}
			r.service(watchdog.Config{})
			r.runOnce()
			if got := counter.n["open instructions"]; got != tc.wantReads {
				t.Errorf("the restarted watchdog opened %d instruction files, want %d (%s)", got, tc.wantReads, counter.summary())
			}
			if !r.insTime("PC001").Equal(t1) || !r.insTime("PC002").Equal(t2) {
				t.Error("the restarted watchdog rewrote instruction files that were right")
			}
			r.runOnce() // keeps the index for the next case
		})
	}
}
