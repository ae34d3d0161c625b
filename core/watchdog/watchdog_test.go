package watchdog_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// A job goes from Pending to Complete over real Samba: packed, pushed to
// both servers (read back and hashed, no temporary file left), offered in
// a signed instruction file, run by the "client" (this test writing its
// status file), collected, complete.
func TestJobPendingToComplete(t *testing.T) {
	r := newRig(t)
	// What a writer that crashed long ago left on the site share.
	stale := filepath.Join(r.smb.Dir("SITE"), "instructions", "PC009.ins.tmp-0123456789abcdef")
	writeFile(t, stale, []byte("half"))
	old := time.Now().Add(-2 * time.Hour)
	must(t, os.Chtimes(stale, old, old))
	j := r.addJob(nil)
	if j.Status.State != model.JobPending {
		t.Fatalf("a new job is %s", j.Status.State)
	}

	r.runOnce()
	got := r.wantState(j.ID, model.JobActive)
	if got.Status.Sending != model.PhaseComplete || got.Status.Working != model.PhaseComplete {
		t.Fatalf("sub-statuses after one cycle: sending %s, working %s", got.Status.Sending, got.Status.Working)
	}
	sha := got.Status.Archive
	r.wantArchiveOnServers(r.pkg.ID, sha, "DIST1", "DIST2")
	holders, err := r.st.Holdings(bg, r.pkg.ID, sha)
	must(t, err)
	if len(holders) != 2 {
		t.Errorf("holdings %v, want both servers", holders)
	}
	for _, ss := range got.Status.Servers {
		if ss.State != model.PhaseComplete || ss.BytesDone != got.Status.ArchiveSize {
			t.Errorf("server status %+v", ss)
		}
	}

	for _, pc := range []string{"PC001", "PC002"} {
		ins := r.instructions(pc)
		if ins.Site != siteCode || ins.Computer != pc || len(ins.Offers) != 1 {
			t.Fatalf("instructions for %s: %+v", pc, ins)
		}
		o := ins.Offers[0]
		if o.Job != j.ID || o.Archive != sha || o.ArchiveSize != got.Status.ArchiveSize || o.Command.Name != "Install" || len(o.Servers) != 2 {
			t.Errorf("offer %+v", o)
		}
		for _, s := range o.Servers {
			if strings.Contains(s.URL, "@") {
				t.Errorf("offer publishes a user name: %s", s.URL)
			}
		}
	}
	data, err := share.ReadFile(r.siteFS(), protocol.SiteFile, protocol.MaxSignedSize)
	must(t, err)
	info, err := protocol.DecodeSite(data)
	must(t, err)
	priv, err := r.st.SiteKey(bg, siteCode)
	must(t, err)
	if !bytes.Equal(info.PublicKey, priv.Public().(ed25519.PublicKey)) || info.Code != siteCode {
		t.Errorf("site.json carries key %s", protocol.Fingerprint(info.PublicKey))
	}
	ts, err := r.st.ListTargetStatuses(bg, j.ID)
	must(t, err)
	if len(ts) != 2 || ts[0].State != model.TargetOffered || ts[1].State != model.TargetOffered {
		t.Fatalf("target statuses %+v", ts)
	}
	r.noTemps("SITE") // the stale one was swept too

	// An unchanged cycle rewrites nothing.
	name, _ := protocol.InstructionsPath("PC001")
	before, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), name))
	must(t, err)
	time.Sleep(20 * time.Millisecond)
	r.runOnce()
	after, err := os.Stat(filepath.Join(r.smb.Dir("SITE"), name))
	must(t, err)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Errorf("instructions rewritten although nothing changed")
	}

	r.writeStatus(j.ID, "PC001", model.TargetComplete, 0)
	r.writeStatus(j.ID, "PC002", model.TargetFailed, 1603)
	r.runOnce()
	done := r.wantState(j.ID, model.JobComplete)
	if done.Status.TargetsTotal != 2 || done.Status.TargetsDone != 2 || done.Status.TargetsFailed != 1 || done.Status.Finished.IsZero() {
		t.Errorf("complete job status %+v", done.Status)
	}
	ts, err = r.st.ListTargetStatuses(bg, j.ID)
	must(t, err)
	for _, x := range ts {
		want := map[string]model.TargetState{"PC001": model.TargetComplete, "PC002": model.TargetFailed}[x.Computer]
		if x.State != want || x.ExitCode == nil || x.Attempts != 1 {
			t.Errorf("computer %s: %+v", x.Computer, x)
		}
	}
	for _, pc := range []string{"PC001", "PC002"} {
		if ins := r.instructions(pc); len(ins.Offers) != 0 {
			t.Errorf("a complete job is still offered to %s", pc)
		}
	}
	for _, want := range []string{"activated", "packed package", "is on server S01/DIST1", "is on server S01/DIST2",
		"offered to 2 computers", "PC001 ran job " + j.ID, "exit code 1603", "complete on 2 computers: 1 succeeded, 1 failed"} {
		r.wantEvent(j.ID, want)
	}
	if len(r.svc.Transfers()) != 0 {
		t.Errorf("transfers still in flight: %+v", r.svc.Transfers())
	}
}

// A client that reports inventory joins its site, awaiting approval.
func TestInventoryAddsComputer(t *testing.T) {
	r := newRig(t)
	data, err := protocol.EncodeInventory(computerKey("PC003"), protocol.Inventory{Format: protocol.InventoryFormat,
		Inventory: model.Inventory{Computer: "pc003", Site: siteCode, OS: "linux", Arch: "arm64", ClientVersion: "1", Time: time.Now().Add(-time.Minute)}})
	must(t, err)
	name, _ := protocol.InventoryPath("PC003")
	must(t, share.WriteFileAtomic(bg, r.siteFS(), name, data))
	// A damaged file is reported, not fatal.
	must(t, share.WriteFileAtomic(bg, r.siteFS(), "inventory/BROKEN.json", []byte("{")))
	r.runOnce()
	c, err := r.st.GetComputer(bg, "PC003")
	must(t, err)
	if c.Site != siteCode || c.Platform != "linux/arm64" || c.Inventory == nil || c.LastSeen.IsZero() || !c.AwaitingApproval || len(c.PublicKey) == 0 {
		t.Errorf("computer from inventory: %+v", c)
	}
	evs, err := r.st.ListEvents(bg, model.EventFilter{Computer: "PC003"})
	must(t, err)
	if len(evs) == 0 || !strings.Contains(evs[0].Message, "asks to join site S01") {
		t.Errorf("events %+v", evs)
	}
	all, err := r.st.ListEvents(bg, model.EventFilter{})
	must(t, err)
	found := false
	for _, e := range all {
		found = found || strings.Contains(e.Message, "BROKEN.json cannot be used")
	}
	if !found {
		t.Error("the damaged inventory file was not reported")
	}
}

// smbd dies in the middle of a push: the job is Retrying; once smbd is
// back, the next cycle resumes the copy from what reached the server and
// the job gets its offers.
func TestSmbdStoppedMidPush(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 64<<20, 1)
	r.op.arm("DIST1", 40<<20, 0, func() { r.smb.Stop() })
	j := r.addJob(nil)
	if err := r.svc.RunOnce(bg); err == nil {
		t.Log("the cycle reported no error although the site share went away too")
	}
	got := r.wantState(j.ID, model.JobRetrying)
	if got.Status.Working != model.PhaseRetrying || got.Status.Servers["S01/DIST1"].State != model.PhaseRetrying {
		t.Fatalf("after the cut: %+v", got.Status)
	}
	if !strings.Contains(got.Status.LastError, "S01/DIST1") {
		t.Errorf("last error %q does not name the server", got.Status.LastError)
	}
	temps, _ := filepath.Glob(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID, "*.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("want the interrupted copy's temporary file kept for resuming, found %v", temps)
	}

	r.op.arm("", 0, 0, nil)
	if err := r.smb.Restart(); err != nil {
		t.Fatal(err)
	}
	r.runOnce()
	got = r.wantState(j.ID, model.JobActive)
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
	r.wantEvent(j.ID, "resumed from an interrupted copy")
	resumed := false
	for _, tr := range r.updates.transfers() {
		if tr.Done && tr.Server == "S01/DIST1" && tr.Err == "" {
			resumed = tr.Resumed > 0 && tr.Resumed+tr.Written == got.Status.ArchiveSize
		}
	}
	if !resumed {
		t.Errorf("the last push to DIST1 did not resume: %+v", r.updates.transfers())
	}
	if len(r.instructions("PC001").Offers) != 1 {
		t.Error("no offer after the push completed")
	}
	r.writeStatus(j.ID, "PC001", model.TargetComplete, 0)
	r.writeStatus(j.ID, "PC002", model.TargetComplete, 0)
	r.runOnce()
	if got := r.wantState(j.ID, model.JobComplete); got.Status.LastError != "" || !got.Status.NextAction.IsZero() {
		t.Errorf("a complete job still shows the error it got over: %q, next action %v", got.Status.LastError, got.Status.NextAction)
	}
}

// A wrong password on one server: that server and the job are Retrying
// with a sentence naming the server; the password is in no event, error,
// log line or update. Fixing the password lets the next cycle finish.
func TestWrongPasswordNamesServerAndNeverLeaks(t *testing.T) {
	r := newRig(t)
	const wrong = "Wr0ng-Pa55word-Never-Print"
	srv, err := r.st.GetServer(bg, siteCode, "DIST2")
	must(t, err)
	good := srv.Credentials
	srv.Credentials.Password = model.NewSecret(wrong)
	must(t, r.st.PutServer(bg, srv))
	j := r.addJob(nil)
	runErr := r.svc.RunOnce(bg)
	got := r.wantState(j.ID, model.JobRetrying)
	ss := got.Status.Servers["S01/DIST2"]
	if ss.State != model.PhaseRetrying || !strings.Contains(ss.LastError, "S01/DIST2") || !strings.Contains(ss.LastError, "password") {
		t.Errorf("server status %+v", ss)
	}
	if !strings.Contains(got.Status.LastError, "S01/DIST2") {
		t.Errorf("job last error %q does not name the server", got.Status.LastError)
	}
	if got.Status.Servers["S01/DIST1"].State != model.PhaseComplete {
		t.Errorf("the good server was not pushed: %+v", got.Status.Servers["S01/DIST1"])
	}
	// A second failing cycle adds no second copy of the same error.
	must(t, r.svc.RunOnce(bg))
	evs, err := r.st.ListEvents(bg, model.EventFilter{})
	must(t, err)
	n := 0
	for _, e := range evs {
		if e.Server == "S01/DIST2" && e.Severity == model.SevError {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d error events for S01/DIST2 over two cycles, want 1", n)
	}

	everything := r.events("") + r.log.String() + r.updates.json() + got.Status.LastError + ss.LastError
	if runErr != nil {
		everything += runErr.Error()
	}
	for _, e := range evs {
		everything += e.Message
	}
	for _, pw := range []string{wrong, good.Password.Reveal()} {
		if strings.Contains(everything, pw) {
			t.Fatalf("a password leaked into events, errors, logs or updates")
		}
	}

	srv.Credentials = good
	must(t, r.st.PutServer(bg, srv))
	r.runOnce()
	r.wantState(j.ID, model.JobActive)
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
}

// A server's security settings reach the opener, never silently dropped:
// one set to require encryption, which this Samba does not do, is refused
// with a sentence that says what to change (not the password); one set to
// require signing is pushed to, signed, through Samba's asynchronous I/O.
func TestServerSecurityRequirementsReachTheOpener(t *testing.T) {
	r := newRig(t)
	enc, err := r.st.GetServer(bg, siteCode, "DIST2")
	must(t, err)
	enc.RequireEncryption = true
	must(t, r.st.PutServer(bg, enc))
	sig, err := r.st.GetServer(bg, siteCode, "DIST1")
	must(t, err)
	sig.RequireSigning = true
	must(t, r.st.PutServer(bg, sig))
	j := r.addJob(nil)
	_ = r.svc.RunOnce(bg)
	got := r.wantState(j.ID, model.JobRetrying)
	if ss := got.Status.Servers["S01/DIST2"]; ss.State != model.PhaseRetrying || !strings.Contains(ss.LastError, "requires encryption") ||
		!strings.Contains(ss.LastError, "smb encrypt = required") || strings.Contains(ss.LastError, "password") {
		t.Errorf("server requiring encryption: %+v", ss)
	}
	if ss := got.Status.Servers["S01/DIST1"]; ss.State != model.PhaseComplete {
		t.Errorf("server requiring signing was not pushed: %+v", ss)
	}
}

// Canceling a job in the middle of a push stops the push, and the job is
// withdrawn from the instruction files.
func TestCancelStopsTransfers(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 48<<20, 2)
	// One job everyone has been offered, so instruction files exist.
	first := r.addJob(func(j *model.Job) { j.Target = model.Target{Kind: model.TargetComputer, Name: "PC001"} })
	r.runOnce()
	r.wantState(first.ID, model.JobActive)

	// Change the source so the second job packs and pushes anew, slowly.
	writeRandom(t, filepath.Join(r.src, "big.bin"), 48<<20, 3)
	j := r.addJob(func(j *model.Job) { j.Schedule.Priority = model.PriorityHigh })
	cycle := r.cycleUntilPushing("DIST1")
	if len(r.svc.Transfers()) == 0 {
		t.Error("no transfer in flight during the push")
	}
	must(t, r.svc.CancelJob(bg, j.ID))
	select {
	case <-cycle:
	case <-time.After(10 * time.Second):
		t.Fatal("the cycle did not stop the canceled job's transfers")
	}
	got := r.wantState(j.ID, model.JobCanceled)
	if !got.Cancel || got.Status.Finished.IsZero() {
		t.Errorf("canceled job %+v", got)
	}
	if got.Status.Archive != "" {
		if _, err := os.Stat(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID, got.Status.Archive+".tzst")); err == nil {
			t.Error("the canceled push completed on DIST1")
		}
	}
	if len(r.svc.Transfers()) != 0 {
		t.Errorf("transfers left after cancel: %+v", r.svc.Transfers())
	}
	if err := r.svc.CancelJob(bg, j.ID); !errors.Is(err, watchdog.ErrFinished) {
		t.Errorf("canceling twice: %v", err)
	}
	r.op.arm("", 0, 0, nil)
	r.runOnce()
	if ins := r.instructions("PC001"); len(ins.Offers) != 1 || ins.Offers[0].Job != first.ID {
		t.Errorf("PC001's offers after the cancel: %+v", ins.Offers)
	}
	r.wantState(j.ID, model.JobCanceled)
	r.wantEvent(j.ID, "canceled")

	// Delete: refused while active, allowed once finished or pending.
	if err := r.svc.DeleteJob(bg, first.ID); !errors.Is(err, model.ErrInUse) {
		t.Errorf("deleting an active job: %v", err)
	}
	must(t, r.svc.DeleteJob(bg, j.ID))
	pending := r.addJob(func(j *model.Job) { j.Schedule.StartAfter = time.Now().Add(time.Hour) })
	must(t, r.svc.DeleteJob(bg, pending.ID))
	if _, err := r.st.GetJob(bg, pending.ID); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("deleted job still there: %v", err)
	}
}

// A second if-not-sent job of an unchanged package packs nothing and moves
// no byte; an always job packs again (to the same bytes) but the servers
// are still not written when they hold that archive.
func TestIfNotSentReusesArchive(t *testing.T) {
	r := newRig(t)
	first := r.addJob(nil)
	r.runOnce()
	a := r.wantState(first.ID, model.JobActive)
	archives, err := r.st.ListArchives(bg, r.pkg.ID)
	must(t, err)
	if len(archives) != 1 {
		t.Fatalf("archives %+v", archives)
	}
	archiveFile := filepath.Join(r.svc.Config().ArchiveDir, r.pkg.ID, a.Status.Archive+".tzst")
	packedAt, err := os.Stat(archiveFile)
	must(t, err)
	onServer, err := os.Stat(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID, a.Status.Archive+".tzst"))
	must(t, err)

	mark := len(r.updates.transfers())
	second := r.addJob(nil)
	r.runOnce()
	b := r.wantState(second.ID, model.JobActive)
	if b.Status.Archive != a.Status.Archive {
		t.Errorf("second job has archive %s, want the first's %s", b.Status.Archive, a.Status.Archive)
	}
	archives, err = r.st.ListArchives(bg, r.pkg.ID)
	must(t, err)
	if len(archives) != 1 {
		t.Errorf("a second archive was recorded: %+v", archives)
	}
	again, err := os.Stat(archiveFile)
	must(t, err)
	if !again.ModTime().Equal(packedAt.ModTime()) {
		t.Error("the archive file was written again")
	}
	var moved int64
	n := 0
	for _, tr := range r.updates.transfers()[mark:] {
		if tr.Done {
			moved += tr.Written
			n++
		}
	}
	if n != 2 || moved != 0 {
		t.Errorf("second job: %d pushes done moving %d bytes, want 2 moving 0", n, moved)
	}
	still, err := os.Stat(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID, a.Status.Archive+".tzst"))
	must(t, err)
	if !still.ModTime().Equal(onServer.ModTime()) {
		t.Error("the server's copy was rewritten")
	}
	r.wantEvent(second.ID, "reusing it")
	r.wantEvent(second.ID, "already holds archive")
	// Both jobs are offered in the one instruction file.
	if ins := r.instructions("PC001"); len(ins.Offers) != 2 {
		t.Errorf("PC001 has %d offers, want 2", len(ins.Offers))
	}

	// A missing source folder: Retrying with a sentence naming it.
	must(t, os.RemoveAll(r.src))
	third := r.addJob(func(j *model.Job) { j.Send = model.SendAlways })
	r.runOnce()
	c := r.wantState(third.ID, model.JobRetrying)
	if c.Status.Sending != model.PhaseRetrying || !strings.Contains(c.Status.LastError, r.src) {
		t.Errorf("missing source: sending %s, last error %q", c.Status.Sending, c.Status.LastError)
	}
}

// A repeating job makes its successor when it completes; so does an
// expired one.
func TestRepeatAndExpiry(t *testing.T) {
	r := newRig(t)
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	j := r.addJob(func(j *model.Job) {
		j.Schedule.Repeat = model.RepeatDaily
		j.Schedule.StartAfter = start
		j.Target = model.Target{Kind: model.TargetComputer, Name: "PC001"}
	})
	r.runOnce()
	r.writeStatus(j.ID, "PC001", model.TargetComplete, 0)
	r.runOnce()
	r.wantState(j.ID, model.JobComplete)
	jobs, err := r.st.ListJobs(bg)
	must(t, err)
	var next *model.Job
	for i := range jobs {
		if jobs[i].RepeatOf == j.ID {
			if next != nil {
				t.Fatal("two successors")
			}
			next = &jobs[i]
		}
	}
	if next == nil {
		t.Fatalf("no successor; events:\n%s", r.events(""))
	}
	if next.Status.State != model.JobPending || !next.Schedule.StartAfter.Equal(start.AddDate(0, 0, 1)) || next.Run.Command != "Install" {
		t.Errorf("successor %+v", next)
	}
	r.runOnce() // not due yet: stays Pending, and no third job appears
	r.wantState(next.ID, model.JobPending)
	jobs, err = r.st.ListJobs(bg)
	must(t, err)
	if len(jobs) != 2 {
		t.Errorf("%d jobs after another cycle, want 2", len(jobs))
	}

	// Expiry: PC002 never reports; the job completes with it failed and
	// withdraws the offer.
	clock := time.Now()
	r.service(watchdog.Config{Now: func() time.Time { return clock }})
	e := r.addJob(func(j *model.Job) { j.Run.ExpiresAfter = clock.Add(time.Hour) })
	r.runOnce()
	r.writeStatus(e.ID, "PC001", model.TargetComplete, 0)
	clock = clock.Add(2 * time.Hour)
	r.runOnce()
	done := r.wantState(e.ID, model.JobComplete)
	if done.Status.TargetsFailed != 1 || done.Status.TargetsDone != 2 {
		t.Errorf("expired job status %+v", done.Status)
	}
	r.wantEvent(e.ID, "expired: 1 computer had not reported")
	if len(r.instructions("PC002").Offers) != 0 {
		t.Error("the expired job is still offered")
	}
}

// Share Package On Server copies the source tree to <PKG>/share/ on each
// server; Remove Package From Server deletes <PKG>/ and the holdings.
func TestShareAndRemoveJobs(t *testing.T) {
	r := newRig(t)
	run := r.addJob(nil)
	r.runOnce()
	sha := r.wantState(run.ID, model.JobActive).Status.Archive

	shareJob := r.addJob(func(j *model.Job) { j.Type = model.JobShare; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(shareJob.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		got, err := os.ReadFile(filepath.Join(r.smb.Dir(srv), r.pkg.ID, "share", "install.sh"))
		if err != nil || string(got) != "#!/bin/sh\necho installed\n" {
			t.Errorf("%s: shared install.sh: %q, %v", srv, got, err)
		}
		if _, err := os.Stat(filepath.Join(r.smb.Dir(srv), r.pkg.ID, "share", "data", "payload.bin")); err != nil {
			t.Errorf("%s: shared tree lacks data/payload.bin: %v", srv, err)
		}
		r.noTemps(srv)
	}
	r.wantEvent(shareJob.ID, "is shared from")

	rm := r.addJob(func(j *model.Job) { j.Type = model.JobRemove; j.Run = model.RunPhase{} })
	// Cancel the run job first so that nothing offers the archive being removed.
	must(t, r.svc.CancelJob(bg, run.ID))
	r.runOnce()
	r.wantState(rm.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		if _, err := os.Stat(filepath.Join(r.smb.Dir(srv), r.pkg.ID)); !os.IsNotExist(err) {
			t.Errorf("%s still has the package folder: %v", srv, err)
		}
	}
	holders, err := r.st.Holdings(bg, r.pkg.ID, sha)
	must(t, err)
	if len(holders) != 0 {
		t.Errorf("holdings after removal: %v", holders)
	}
	// Removing what is not there is no failure.
	again := r.addJob(func(j *model.Job) { j.Type = model.JobRemove; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(again.ID, model.JobComplete)
}

// A server group instead of the Default Servers, and an unreachable site
// share reported once.
func TestServerGroupAndUnreachableSite(t *testing.T) {
	r := newRig(t)
	must(t, r.st.PutGroup(bg, model.MachineGroup{Name: "Pushers", Members: []string{"DIST2"}}))
	j := r.addJob(func(j *model.Job) { j.Distribute.ServerGroup = "Pushers" })
	r.runOnce()
	got := r.wantState(j.ID, model.JobActive)
	if len(got.Status.Servers) != 1 || got.Status.Servers["S01/DIST2"].State != model.PhaseComplete {
		t.Errorf("servers %+v", got.Status.Servers)
	}
	if _, err := os.Stat(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID)); !os.IsNotExist(err) {
		t.Error("DIST1 was pushed although the job names a group without it")
	}

	site := r.site
	site.Share = shareURL(r.smb, "NOSUCHSHARE")
	must(t, r.st.PutSite(bg, site))
	for range 2 {
		if err := r.svc.RunOnce(bg); err == nil || !strings.Contains(err.Error(), "site S01") {
			t.Errorf("cycle error %v, want it to name site S01", err)
		}
	}
	evs, err := r.st.ListEvents(bg, model.EventFilter{Severity: model.SevError})
	must(t, err)
	n := 0
	for _, e := range evs {
		if e.Site == siteCode && strings.Contains(e.Message, "NOSUCHSHARE") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d events for the missing site share over two cycles, want 1", n)
	}
}

// A package with a share name is published under that name at the
// distribution share's root, replaced as a whole when shared again, and
// removed with the package.
func TestShareUnderShareName(t *testing.T) {
	r := newRig(t)
	r.pkg.Sharing.ShareName = "TOOLS"
	must(t, r.st.UpdatePackage(bg, r.pkg))

	first := r.addJob(func(j *model.Job) { j.Type = model.JobShare; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(first.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		if got, err := os.ReadFile(filepath.Join(r.smb.Dir(srv), "TOOLS", "install.sh")); err != nil || string(got) != "#!/bin/sh\necho installed\n" {
			t.Errorf("%s: TOOLS/install.sh: %q, %v", srv, got, err)
		}
		if _, err := os.Stat(filepath.Join(r.smb.Dir(srv), r.pkg.ID, "share")); !os.IsNotExist(err) {
			t.Errorf("%s: the tree is also under %s/share: %v", srv, r.pkg.ID, err)
		}
	}
	r.wantEvent(first.ID, "is shared from TOOLS")

	// The source changes: the next share replaces the whole tree, so a file
	// the source no longer has is gone too.
	must(t, os.Remove(filepath.Join(r.src, "data", "payload.bin")))
	writeFile(t, filepath.Join(r.src, "readme.txt"), []byte("version 2\n"))
	second := r.addJob(func(j *model.Job) { j.Type = model.JobShare; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(second.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		if got, err := os.ReadFile(filepath.Join(r.smb.Dir(srv), "TOOLS", "readme.txt")); err != nil || string(got) != "version 2\n" {
			t.Errorf("%s: TOOLS/readme.txt: %q, %v", srv, got, err)
		}
		if _, err := os.Stat(filepath.Join(r.smb.Dir(srv), "TOOLS", "data", "payload.bin")); !os.IsNotExist(err) {
			t.Errorf("%s: the old tree's payload.bin survived the replacement: %v", srv, err)
		}
		r.noTemps(srv)
	}

	rm := r.addJob(func(j *model.Job) { j.Type = model.JobRemove; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(rm.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		if _, err := os.Stat(filepath.Join(r.smb.Dir(srv), "TOOLS")); !os.IsNotExist(err) {
			t.Errorf("%s still has TOOLS after Remove Package From Server: %v", srv, err)
		}
	}
}
