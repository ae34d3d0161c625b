package watchdog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/pack/packtest"
)

// A package whose source is a folder on a share (its own login) is sent:
// the archive is the one the same tree packs to from a local folder, a
// second job reuses it from one listing of the share, a Share Package On
// Server job copies the tree from the share, and a source that goes away
// makes the next job Retrying with a sentence naming the share, never the
// password.
func TestShareSource(t *testing.T) {
	r := newRig(t, "SRC")
	src := filepath.Join(r.smb.Dir("SRC"), "pkgs", "tools")
	local := t.TempDir()
	packtest.ShareTree(t, map[string]string{
		"install.sh":          "#!/bin/sh\necho installed from a share\n",
		"data/payload.bin":    strings.Repeat("OpenSMS share source ", 50000),
		"data/deep/notes.txt": "notes\n",
		"empty.txt":           "",
	}, []string{"empty-folder"}, src, local)
	want, _, err := pack.PackFile(bg, local, t.TempDir(), pack.Options{})
	must(t, err)

	loc := r.smb.Location("SRC")
	loc.User, loc.Path = "", "pkgs/tools"
	r.pkg.Source = loc.UNC()
	r.pkg.SourceCredentials = r.smb.Credentials()
	r.pkg.Sharing.ShareName = "TOOLS"
	must(t, r.st.UpdatePackage(bg, r.pkg))

	first := r.addJob(nil)
	r.runOnce()
	got := r.wantState(first.ID, model.JobActive)
	if got.Status.Archive != want.SHA256 || got.Status.ArchiveSize != want.Size {
		t.Fatalf("archive from the share %s (%d bytes), from a local copy %s (%d bytes)", got.Status.Archive, got.Status.ArchiveSize, want.SHA256, want.Size)
	}
	r.wantArchiveOnServers(r.pkg.ID, want.SHA256, "DIST1", "DIST2")

	second := r.addJob(nil)
	r.runOnce()
	if a := r.wantState(second.ID, model.JobActive).Status.Archive; a != want.SHA256 {
		t.Errorf("second job's archive %s", a)
	}
	r.wantEvent(second.ID, "is unchanged since archive")

	shareJob := r.addJob(func(j *model.Job) { j.Type = model.JobShare; j.Run = model.RunPhase{} })
	r.runOnce()
	r.wantState(shareJob.ID, model.JobComplete)
	for _, srv := range []string{"DIST1", "DIST2"} {
		b, err := os.ReadFile(filepath.Join(r.smb.Dir(srv), "TOOLS", "data", "payload.bin"))
		if err != nil || string(b) != strings.Repeat("OpenSMS share source ", 50000) {
			t.Errorf("%s: TOOLS/data/payload.bin: %d bytes, %v", srv, len(b), err)
		}
		if fi, err := os.Stat(filepath.Join(r.smb.Dir(srv), "TOOLS", "empty-folder")); err != nil || !fi.IsDir() {
			t.Errorf("%s: TOOLS/empty-folder: %v", srv, err)
		}
		r.noTemps(srv)
	}

	// The folder goes away: the next send says where, and retries.
	must(t, os.RemoveAll(src))
	gone := r.addJob(func(j *model.Job) { j.Send = model.SendAlways })
	r.runOnce()
	j := r.wantState(gone.ID, model.JobRetrying)
	if j.Status.Sending != model.PhaseRetrying {
		t.Errorf("sending %s, want retrying", j.Status.Sending)
	}
	msg := r.events(gone.ID)
	if !strings.Contains(msg, loc.UNC()) {
		t.Errorf("events do not name the share %s:\n%s", loc.UNC(), msg)
	}
	if pw := r.smb.Credentials().Password.Reveal(); strings.Contains(msg, pw) || strings.Contains(r.log.String(), pw) {
		t.Error("the source password is in an event or the log")
	}
}
