package watchdog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/share"
)

// The first server's push overlaps the packing: DIST1 receives the archive
// while it is written and holds it, named by its hash, when the pack
// ends; DIST2 is pushed from the local file. Both hold the bytes the local
// archive holds, Transfers showed DIST1's stream, and nothing temporary is
// left anywhere.
func TestFirstServerReceivesWhilePacking(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 24<<20, 6)
	j := r.addJob(nil)
	got := r.sentAndDistributed(j.ID)
	r.wantEvent(j.ID, "is on server S01/DIST1 (")
	ev := r.events(j.ID)
	if !strings.Contains(ev, "archive "+got.Status.Archive[:12]+" is on server S01/DIST1 ("+model.FormatBytes(got.Status.ArchiveSize)+" written while it was packed)") {
		t.Errorf("DIST1 was not streamed to; events:\n%s", ev)
	}
	if strings.Contains(ev, "S01/DIST2 ("+model.FormatBytes(got.Status.ArchiveSize)+" written while") {
		t.Errorf("DIST2 was streamed to as well; events:\n%s", ev)
	}
	ss := got.Status.Servers["S01/DIST1"]
	if ss.State != model.PhaseComplete || ss.BytesDone != got.Status.ArchiveSize || ss.Attempts != 1 {
		t.Errorf("DIST1's status: %+v", ss)
	}
	holds, err := r.st.Holdings(bg, r.pkg.ID, got.Status.Archive)
	must(t, err)
	if len(holds) != 2 {
		t.Errorf("holdings after the cycle: %v, want both servers", holds)
	}
	var streamed bool
	for _, tr := range r.updates.transfers() {
		if tr.Server == "S01/DIST1" && tr.Done && tr.Err == "" && tr.Written == got.Status.ArchiveSize && tr.BytesDone == got.Status.ArchiveSize {
			streamed = true
		}
	}
	if !streamed {
		t.Errorf("Transfers did not show DIST1's stream finishing: %+v", r.updates.transfers())
	}
	if len(r.svc.Transfers()) != 0 {
		t.Errorf("transfers left after the cycle: %+v", r.svc.Transfers())
	}
	// The archive on the servers is the one PackFile makes of the source.
	st, _, err := pack.PackFile(bg, r.src, t.TempDir(), pack.Options{Concurrency: 3})
	must(t, err)
	if st.SHA256 != got.Status.Archive {
		t.Errorf("the streamed archive is %s, PackFile makes %s", got.Status.Archive, st.SHA256)
	}
}

// DIST1 fails in the middle of the stream: the pack goes on, DIST2 gets
// the archive, and DIST1 is pushed from the local file in the same cycle,
// resuming from what the stream wrote.
func TestServerFailingMidStreamResumesFromLocalFile(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 64<<20, 7)
	r.op.failOnce("DIST1", 40<<20, fmt.Errorf("connection reset: %w", share.ErrUnreachable))
	j := r.addJob(nil)
	got := r.sentAndDistributed(j.ID)
	ev := r.events(j.ID)
	if strings.Contains(ev, "written while it was packed") {
		t.Errorf("the failed stream was reported as a push; events:\n%s", ev)
	}
	r.wantEvent(j.ID, "resumed from an interrupted copy")
	var resumed bool
	for _, tr := range r.updates.transfers() {
		if tr.Server == "S01/DIST1" && tr.Done && tr.Err == "" {
			resumed = tr.Resumed > 0 && tr.Resumed+tr.Written == got.Status.ArchiveSize
		}
	}
	if !resumed {
		t.Errorf("DIST1's push from the local file did not resume the stream: %+v", r.updates.transfers())
	}
}

// DIST1 fails mid-stream and stays down: the pack is recorded, DIST1 is
// Retrying with the same sentence as any failed push, and the next cycle
// finishes it from the local file.
func TestServerDownMidStreamRetries(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 48<<20, 8)
	r.op.failFrom("DIST1", 20<<20, fmt.Errorf("connection reset: %w", share.ErrUnreachable))
	j := r.addJob(nil)
	r.runOnce()
	got := r.wantState(j.ID, model.JobRetrying)
	if got.Status.Sending != model.PhaseComplete || got.Status.Archive == "" {
		t.Fatalf("the pack did not survive the failed stream: %+v", got.Status)
	}
	ss := got.Status.Servers["S01/DIST1"]
	if ss.State != model.PhaseRetrying || !strings.HasPrefix(ss.LastError, "pushing archive "+got.Status.Archive[:12]+" of package "+r.pkg.ID+" to server S01/DIST1") {
		t.Errorf("DIST1 after the failed stream: %+v", ss)
	}
	if strings.Contains(r.events(j.ID), "written while it was packed") {
		t.Errorf("the failed stream was reported as a push; events:\n%s", r.events(j.ID))
	}
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST2")
	r.op.arm("", 0, 0, nil)
	r.runOnce()
	got = r.wantState(j.ID, model.JobActive)
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
}

// A source file that changes while the stream runs: the pack starts over,
// so does the stream, and DIST1 ends with the archive of the source as it
// is now, with no copy of the abandoned attempt left.
func TestSourceChangedMidStream(t *testing.T) {
	r := newRig(t)
	big := filepath.Join(r.src, "big.bin")
	writeRandom(t, big, 48<<20, 9)
	r.op.arm("DIST1", 4<<20, 0, func() {
		f, err := os.OpenFile(big, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = f.WriteAt([]byte("rewritten while packed"), 0)
		f.Close()
		later := time.Now().Add(time.Hour)
		_ = os.Chtimes(big, later, later)
	})
	j := r.addJob(nil)
	r.runOnce()
	got := r.wantState(j.ID, model.JobActive)
	st, _, err := pack.PackFile(bg, r.src, t.TempDir(), pack.Options{})
	must(t, err)
	if got.Status.Archive != st.SHA256 {
		t.Fatalf("the job's archive is %s, the source as it is now packs to %s", got.Status.Archive, st.SHA256)
	}
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
	r.wantEvent(j.ID, "written while it was packed")
	list, err := os.ReadDir(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID))
	must(t, err)
	if len(list) != 1 {
		t.Errorf("DIST1's package folder holds %d names, want the one archive", len(list))
	}
}

// A job canceled in the middle of the stream leaves no temporary file on
// the server, and no archive.
func TestCanceledMidStreamLeavesNothing(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 48<<20, 10)
	j := r.addJob(nil)
	cycle := r.cycleUntilPushing("DIST1")
	if tr := r.svc.Transfers(); len(tr) != 1 || tr[0].Server != "S01/DIST1" {
		t.Errorf("transfers during the stream: %+v", tr)
	}
	must(t, r.svc.CancelJob(bg, j.ID))
	select {
	case <-cycle:
	case <-time.After(20 * time.Second):
		t.Fatal("the cycle did not stop the canceled job's stream")
	}
	r.wantState(j.ID, model.JobCanceled)
	r.noTemps("DIST1")
	list, _ := os.ReadDir(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID))
	if len(list) != 0 {
		t.Errorf("DIST1's package folder after the cancel: %v", list)
	}
	if len(r.svc.Transfers()) != 0 {
		t.Errorf("transfers left after cancel: %+v", r.svc.Transfers())
	}
}
