package watchdog_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

const (
	crashStoreEnv = "OPENSMS_WATCHDOG_CRASH_STORE"
	crashShareEnv = "OPENSMS_WATCHDOG_CRASH_SHARE"
)

// The watchdog's process is killed (SIGKILL) in the middle of a push from
// the local archive (to DIST2: DIST1's push overlapped the packing). A new
// service on the same store rescues the job: the archive is not packed
// again, the push resumes from the bytes that reached the server, and
// nothing the first process recorded is lost.
func TestKilledMidPushResumes(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 64<<20, 4)
	j := r.addJob(nil)
	killChild(t, r, "DIST2")
	temps, _ := filepath.Glob(filepath.Join(r.smb.Dir("DIST2"), r.pkg.ID, "*.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("want one interrupted copy on DIST2, found %v", temps)
	}

	r.open()
	r.service(watchdog.Config{})
	mid := r.job(j.ID)
	if mid.Status.State != model.JobActive || mid.Status.Working != model.PhaseActive || mid.Status.Sending != model.PhaseComplete ||
		mid.Status.Servers["S01/DIST1"].State != model.PhaseComplete {
		t.Fatalf("the store after the kill: %+v", mid.Status)
	}
	archives, err := r.st.ListArchives(bg, r.pkg.ID)
	must(t, err)
	r.runOnce()
	got := r.wantState(j.ID, model.JobActive)
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
	if got.Status.Archive != mid.Status.Archive {
		t.Errorf("archive changed across the crash: %s then %s", mid.Status.Archive, got.Status.Archive)
	}
	again, err := r.st.ListArchives(bg, r.pkg.ID)
	must(t, err)
	if len(again) != len(archives) {
		t.Errorf("the rescue packed again: %d archives, then %d", len(archives), len(again))
	}
	r.wantEvent(j.ID, "activated")                      // written by the killed process
	r.wantEvent(j.ID, "written while it was packed")    // DIST1, by the killed process
	r.wantEvent(j.ID, "interrupted while distributing") // the rescue
	r.wantEvent(j.ID, "resumed from an interrupted copy")
	r.writeStatus(j.ID, "PC001", model.TargetComplete, 0)
	r.writeStatus(j.ID, "PC002", model.TargetComplete, 0)
	r.runOnce()
	r.wantState(j.ID, model.JobComplete)
}

// The watchdog's process is killed in the middle of the push that overlaps
// the packing (to DIST1). The rescue packs again (the local archive was not
// complete), streams again, and leaves no temporary file of the killed
// stream behind.
func TestKilledMidStreamPacksAgain(t *testing.T) {
	r := newRig(t)
	writeRandom(t, filepath.Join(r.src, "big.bin"), 64<<20, 5)
	j := r.addJob(nil)
	killChild(t, r, "DIST1")
	temps, _ := filepath.Glob(filepath.Join(r.smb.Dir("DIST1"), r.pkg.ID, "*.tmp-*"))
	if len(temps) != 1 {
		t.Fatalf("want the killed stream's temporary file on DIST1, found %v", temps)
	}

	r.open()
	r.service(watchdog.Config{})
	if mid := r.job(j.ID); mid.Status.Sending != model.PhaseActive || mid.Status.Archive != "" {
		t.Fatalf("the store after the kill: %+v", mid.Status)
	}
	r.runOnce()
	got := r.wantState(j.ID, model.JobActive)
	r.wantArchiveOnServers(r.pkg.ID, got.Status.Archive, "DIST1", "DIST2")
	r.wantEvent(j.ID, "interrupted while sending")
	r.wantEvent(j.ID, "written while it was packed")
}

// killChild runs a cycle in a child process over the rig's store, kills it
// (SIGKILL) once 40 MiB of an archive reached shareName, and gives the
// store back.
func killChild(t *testing.T, r *rig, shareName string) {
	t.Helper()
	must(t, r.st.Close()) // the child takes the store over

	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashStoreEnv+"="+r.storeAt, crashShareEnv+"="+shareName)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = cmd.Stdout
	must(t, cmd.Start())
	pushing := make(chan struct{})
	var seen strings.Builder
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			seen.WriteString(sc.Text() + "\n")
			if sc.Text() == "PUSHING" {
				close(pushing)
			}
		}
	}()
	select {
	case <-pushing:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the child never got into the push:\n%s", seen.String())
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
}

// TestCrashChild is the process killChild kills: it runs a cycle that
// stops for good in the middle of the push to the share it names.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashStoreEnv)
	if dir == "" {
		t.Skip("the process TestKilledMidPushResumes starts and kills")
	}
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	must(t, err)
	op := &faultOpener{Opener: shares.NewOpener()}
	op.arm(os.Getenv(crashShareEnv), 40<<20, 0, func() {
		fmt.Println("PUSHING")
		_ = os.Stdout.Sync()
		select {} // until SIGKILL
	})
	svc := watchdog.New(st, op, watchdog.Config{Retry: fastRetry})
	err = svc.RunOnce(bg)
	t.Fatalf("the cycle ended (%v); it should have been killed in the middle of the push", err)
}
