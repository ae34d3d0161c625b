package admin

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"

	"opensms/gui/guitest"
)

// reopen builds a new Administrator on a's app and API, as a restart would
// over the same preferences, and waits for its Sites tree.
func reopen(t *testing.T, a *Admin) *Admin {
	t.Helper()
	app := a.app.(*guitest.App)
	var b *Admin
	app.Locked(func() {
		b = New(app, a.api)
		b.win.Show()
	})
	t.Cleanup(b.Close)
	<-b.sites.loaded
	return b
}

// stacked returns the titles of the shown inner windows, the bottom first.
func stacked(a *Admin) []string {
	var ts []string
	for _, iw := range a.mdi.Windows {
		if w := a.inner(iw); w != nil && iw.Visible() {
			ts = append(ts, w.title)
		}
	}
	return ts
}

// The main window's size, which inner windows are open (in their stacking
// order), where and how big, which is maximised and the Sites tree's open
// branches are written when the Administrator closes and restored by the
// next one over the same preferences.
func TestLayoutIsKeptAcrossRestarts(t *testing.T) {
	a, _ := newTestAdmin(t)
	<-a.sites.loaded
	var want []string
	a.locked(func() {
		a.win.Resize(fyne.NewSize(1400, 900))
		a.closeWindow(a.find(titleEvents))
		p := a.find(titlePackages).iw
		p.Move(fyne.NewPos(100, 120))
		p.Resize(fyne.NewSize(500, 300))
		a.toggleMaximized(a.find(titleJobs))
		a.show(titleSites) // to the top
		a.sites.tree.OpenBranch(nodeID(nodeComps, "S01"))
		a.sites.tree.OpenBranch(nodeID(nodeServers, "S01"))
		a.sites.tree.CloseBranch(nodeID(nodeGroups, "S01"))
		want = stacked(a)
	})
	a.Close()

	b := reopen(t, a)
	b.locked(func() {
		if got := b.win.Canvas().Size(); got != fyne.NewSize(1400, 900) {
			t.Errorf("the main window opened %v, want the 1400x900 it closed at", got)
		}
		if got := stacked(b); !slices.Equal(got, want) {
			t.Errorf("the inner windows open are %q, want %q as they closed", got, want)
		}
		p := b.find(titlePackages).iw
		if p.Position() != fyne.NewPos(100, 120) || p.Size() != fyne.NewSize(500, 300) {
			t.Errorf("Packages opened at %v, %v; want (100,120), 500x300", p.Position(), p.Size())
		}
		jobs := b.find(titleJobs)
		if !jobs.maxed || jobs.iw.Size() != b.mdi.Size() {
			t.Errorf("Jobs opened maximised=%v at %v in an area of %v; want it to fill the area", jobs.maxed, jobs.iw.Size(), b.mdi.Size())
		}
		tree := b.sites.tree
		for uid, open := range map[string]bool{"site:S01": true, "comps:S01": true, "servers:S01": true, "groups:S01": false} {
			if tree.IsBranchOpen(uid) != open {
				t.Errorf("the Sites tree's %s is open=%v, want %v", uid, tree.IsBranchOpen(uid), open)
			}
		}
		// Un-maximised, Jobs goes back to where it was before.
		b.toggleMaximized(jobs)
		if jobs.iw.Size() == b.mdi.Size() {
			t.Error("Jobs restored from maximised still fills the area")
		}
	})
}

// A saved layout that no longer makes sense opens sanely: a window this
// version does not have and a site that is gone are left out, a damaged
// size is ignored, and on a smaller screen every window is moved in and
// shrunk to fit.
func TestSavedLayoutThatNoLongerFitsOpensSanely(t *testing.T) {
	a, _ := newTestAdmin(t)
	<-a.sites.loaded
	a.Close() // it keeps its own layout: the one below is written after
	p := a.app.Preferences()
	a.locked(func() {
		p.SetFloatList(prefMainSize, []float64{2400, 1500})
		p.SetStringList(prefOpenWindows, []string{titleSites, "Reports", titlePackages, titleJobs})
		p.SetFloatList(prefInnerWindow+titleSites, []float64{1800, 1100, 600, 380, 0})
		p.SetFloatList(prefInnerWindow+titlePackages, []float64{-50, 20, 3000, 2000, 0})
		p.SetFloatList(prefInnerWindow+titleJobs, []float64{10, 10, -400, 300, 0})
		p.SetStringList(prefSitesOpen, []string{"site:S99", "comps:S99", "comps:S01", "page:S01:x"})
	})

	b := reopen(t, a)
	b.locked(func() {
		if got := stacked(b); !slices.Equal(got, []string{titleSites, titlePackages, titleJobs}) {
			t.Errorf("the inner windows open are %q", got)
		}
		if s := b.find(titleJobs).iw.Size(); s.Width <= 0 {
			t.Errorf("Jobs opened %v wide from a damaged size", s)
		}
		b.win.Resize(fyne.NewSize(1024, 700)) // the screen is smaller now
		area := b.mdi.Size()
		for _, w := range b.visible() {
			pos, size := w.iw.Position(), w.iw.Size()
			if pos.X < 0 || pos.Y < 0 || pos.X+size.Width > area.Width || pos.Y+size.Height > area.Height {
				t.Errorf("%s is at %v, %v: outside the %v area", w.title, pos, size, area)
			}
		}
		tree := b.sites.tree
		for uid, open := range map[string]bool{"site:S01": false, "site:S99": false, "comps:S99": false, "comps:S01": true, "page:S01:x": false} {
			if tree.IsBranchOpen(uid) != open {
				t.Errorf("the Sites tree's %s is open=%v, want %v", uid, tree.IsBranchOpen(uid), open)
			}
		}
	})
}
