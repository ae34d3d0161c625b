package admin

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"opensms/core/model"
)

// TestWatchdogStatusReachesTheJobsWindowWithoutRefresh runs the real
// watchdog on local-folder shares: a cycle activates the pending job and the
// Jobs window shows the new state from the subscription alone.
func TestWatchdogStatusReachesTheJobsWindowWithoutRefresh(t *testing.T) {
	testWatchdogStatusReachesTheJobsWindow(t, inProcess)
}

func testWatchdogStatusReachesTheJobsWindow(t *testing.T, how via) {
	dir := t.TempDir()
	siteShare, distShare, src := filepath.Join(dir, "site"), filepath.Join(dir, "dist1"), filepath.Join(dir, "src")
	for _, d := range []string{siteShare, distShare, src} {
		must(t, os.MkdirAll(d, 0o755))
	}
	must(t, os.WriteFile(filepath.Join(src, "install.sh"), []byte("echo hello\n"), 0o644))

	a, st, wd := openTestAdminVia(t, how, seedSite)
	ctx := context.Background()
	must(t, st.PutSite(ctx, model.Site{Code: "S01", Name: "Head Office", Share: "file://" + siteShare, Created: time.Now()}))
	must(t, st.PutServer(ctx, model.Server{Site: "S01", Name: "dist1", URL: "file://" + distShare, Default: true}))
	c := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	c.ApplyDefaults()
	p, err := st.CreatePackage(ctx, model.Package{Name: "Hello", Version: "1.0", Source: src, Commands: []model.CommandLine{c}})
	must(t, err)

	// The job is made as the GUI makes it: Job Details, OK.
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetComputer, Name: "PC001"})
		test.Tap(buttonIn(t, mustDialog(t, a, "Job Details"), "OK"))
	})
	var id string
	waitFor(t, a, "the pending job in the Jobs window", func() bool {
		if len(a.jobs.jobs) == 1 && a.jobs.jobs[0].Status.State == model.JobPending {
			id = a.jobs.jobs[0].ID
			return true
		}
		return false
	})

	// From here on nothing reloads the Jobs window: only the watchdog's
	// updates can change what it shows.
	must(t, wd.RunOnce(ctx))
	stored, err := st.GetJob(ctx, id)
	must(t, err)
	t.Logf("after one cycle the job is %s (sending %q, working %q)", stored.Status.State, stored.Status.Sending, stored.Status.Working)
	if stored.Status.State == model.JobPending {
		t.Fatalf("the cycle left the job pending: %+v", stored.Status)
	}
	waitFor(t, a, "state "+string(stored.Status.State)+" in the Jobs window", func() bool {
		return len(a.jobs.jobs) == 1 && a.jobs.jobs[0].Status.State == stored.Status.State
	})

	must(t, wd.CancelJob(ctx, id))
	waitFor(t, a, "Canceled in the Jobs window", func() bool {
		j := a.jobs.jobs[0]
		if j.Status.State != model.JobCanceled {
			return false
		}
		// and the row on screen says so
		for _, r := range a.jobs.rows {
			if r.id == 0 && r.cells.labels[1].Text == "Canceled" {
				return true
			}
		}
		return false
	})
}
