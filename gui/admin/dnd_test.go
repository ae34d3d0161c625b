package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// storedPackage puts a package in the store and waits for its row.
func storedPackage(t *testing.T, a *Admin, st model.Store) (model.Package, *packageRow) {
	t.Helper()
	c := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	c.ApplyDefaults()
	p, err := st.CreatePackage(context.Background(), model.Package{Name: "Hello", Version: "1.0", Source: t.TempDir(), Commands: []model.CommandLine{c}})
	must(t, err)
	a.locked(a.packages.reload)
	var row *packageRow
	waitFor(t, a, "the package row", func() bool {
		for _, r := range a.packages.rows {
			l := a.packages.list
			if r.id == 0 && r.pkg.ID == p.ID && contains(a.abs(l), l.Size(), a.abs(r)) {
				row = r
				return true
			}
		}
		return false
	})
	return p, row
}

// storedJob puts a pending job of p's Install command line for PC001 in
// the store, as the watchdog would find it.
func storedJob(t *testing.T, st model.Store, p model.Package) model.Job {
	t.Helper()
	j := model.Job{}
	j.ApplyDefaults()
	j.Package, j.Target, j.Run.Command, j.Created = p.ID, model.Target{Kind: model.TargetComputer, Name: "PC001"}, "Install", time.Now()
	j, err := st.CreateJob(context.Background(), j)
	must(t, err)
	return j
}

func (a *Admin) abs(o fyne.CanvasObject) fyne.Position {
	return fyne.CurrentApp().Driver().AbsolutePositionForObject(o)
}

// siteRowFor waits until the Sites tree shows the node and returns its row.
func siteRowFor(t *testing.T, a *Admin, uid string) *siteRow {
	t.Helper()
	var row *siteRow
	waitFor(t, a, "tree row "+uid, func() bool {
		for _, r := range a.sites.rows {
			if _, shown := a.sites.shown(r); shown && r.uid == uid {
				row = r
				return true
			}
		}
		return false
	})
	return row
}

// dragTo drags the package row to the centre of the object, as the driver
// would: Dragged with a position relative to the row, then DragEnd.
func dragTo(a *Admin, row *packageRow, to fyne.Position) {
	from := a.abs(row)
	row.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: to.Subtract(from)}, Dragged: fyne.NewDelta(to.X-from.X, to.Y-from.Y)})
}

func centre(a *Admin, o fyne.CanvasObject) fyne.Position {
	return a.abs(o).Add(fyne.NewPos(o.Size().Width/2, o.Size().Height/2))
}

func TestDragPackageOntoSiteComputerAndGroupMakesJobs(t *testing.T) {
	a, st := newTestAdmin(t)
	p, pkgRow := storedPackage(t, a, st)
	<-a.sites.loaded
	a.locked(func() {
		a.sites.tree.OpenBranch(nodeID(nodeComps, "S01"))
		a.sites.tree.OpenBranch(nodeID(nodeGroups, "S01"))
	})

	cases := []struct {
		uid  string
		want model.Target
	}{
		{nodeID(nodeSite, "S01"), model.Target{Kind: model.TargetSite, Name: "S01"}},
		{nodeID(nodeComputer, "PC001"), model.Target{Kind: model.TargetComputer, Name: "PC001"}},
		{nodeID(nodeGroup, "Accounting"), model.Target{Kind: model.TargetGroup, Name: "Accounting"}},
	}
	for i, c := range cases {
		target := siteRowFor(t, a, c.uid)
		a.locked(func() {
			dragTo(a, pkgRow, centre(a, target))
			if a.sites.hover != c.uid {
				t.Errorf("%s: hovering highlights %q", c.uid, a.sites.hover)
				for _, w := range a.open {
					t.Logf("%s at %v size %v", w.title, a.abs(w.iw), w.iw.Size())
				}
				t.Logf("target at %v size %v, tree at %v size %v", a.abs(target), target.Size(), a.abs(a.sites.tree), a.sites.tree.Size())
			}
			if target.bg.StrokeWidth == 0 {
				t.Errorf("%s: the row under the pointer is not highlighted", c.uid)
			}
			pkgRow.DragEnd()
			if a.sites.hover != "" {
				t.Errorf("%s: highlight %q stays after the drop", c.uid, a.sites.hover)
			}
			jd := dialogNamed(a, "Job Details")
			if jd == nil {
				t.Fatalf("%s: the drop did not open Job Details", c.uid)
			}
			pkg := fieldOf[*widget.Label](t, jd, "Package").Text
			target := fieldOf[*widget.Label](t, jd, "Target").Text
			command := fieldOf[*widget.Select](t, jd, "Command line").Selected
			if !strings.HasPrefix(pkg, p.ID) || target != c.want.Title() || command != "Install" {
				t.Fatalf("%s: Job Details shows target %q, package %q, command %q", c.uid, target, pkg, command)
			}
			test.Tap(buttonIn(t, jd, "OK"))
		})
		waitFor(t, a, "the job of "+c.uid, func() bool {
			js, _ := st.ListJobs(context.Background())
			return len(js) == i+1 && dialogNamed(a, "Job Details") == nil
		})
		js, _ := st.ListJobs(context.Background())
		var got model.Job
		for _, j := range js {
			if j.Target == c.want {
				got = j
			}
		}
		if got.ID == "" || got.Status.State != model.JobPending || got.Package != p.ID || got.Run.Command != "Install" ||
			got.Type != model.JobRun || got.Schedule.Priority != model.PriorityMedium || got.Run.Deferrals != model.DefaultDeferrals {
			t.Errorf("%s: stored job %+v", c.uid, got)
		}
	}
	waitFor(t, a, "three jobs in the Jobs window", func() bool { return len(a.jobs.jobs) == 3 })
}

func TestDropElsewhereDoesNothing(t *testing.T) {
	a, st := newTestAdmin(t)
	_, pkgRow := storedPackage(t, a, st)
	<-a.sites.loaded
	servers := siteRowFor(t, a, nodeID(nodeServers, "S01"))
	a.locked(func() {
		// Onto its own window, through the test driver's drag (which stays where it began).
		test.Drag(a.win.Canvas(), centre(a, pkgRow), 5, 5)
		// Onto a folder of the tree, which is not a target.
		dragTo(a, pkgRow, centre(a, servers))
		if a.sites.hover != "" {
			t.Errorf("a folder is highlighted as a drop target: %q", a.sites.hover)
		}
		pkgRow.DragEnd()
		if got := a.status.message.Text; !strings.Contains(got, "was not dropped on a site, computer or machine group") {
			t.Errorf("a drop on a folder says %q", got)
		}
		// Onto the status bar.
		dragTo(a, pkgRow, fyne.NewPos(10, a.win.Canvas().Size().Height-5))
		pkgRow.DragEnd()
		if jd := dialogNamed(a, "Job Details"); jd != nil {
			t.Errorf("a drop elsewhere opened Job Details for %s", fieldOf[*widget.Label](t, jd, "Target").Text)
		}
	})
	time.Sleep(50 * time.Millisecond)
	if js, _ := st.ListJobs(context.Background()); len(js) != 0 {
		t.Errorf("%d jobs stored", len(js))
	}
}

func TestJobDetailsBadFieldShowsTheSentenceAndStoresNothing(t *testing.T) {
	a, st := newTestAdmin(t)
	p, _ := storedPackage(t, a, st)
	var jd fyne.CanvasObject
	var ok *widget.Button
	var offer, mandatory, deferrals *widget.Entry
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S01"})
		jd = mustDialog(t, a, "Job Details")
		ok = buttonIn(t, jd, "OK")
		offer, mandatory = fieldOf[*widget.Entry](t, jd, "Offer after"), fieldOf[*widget.Entry](t, jd, "Mandatory after")
		deferrals = fieldOf[*widget.Entry](t, jd, "Deferrals allowed")
		offer.SetText("2030-01-02 10:00")
		mandatory.SetText("2030-01-01 10:00") // before the offer
		test.Tap(ok)
	})
	j := model.Job{Package: p.ID, Target: model.Target{Kind: model.TargetSite, Name: "S01"}}
	j.ApplyDefaults()
	j.Run.Command = "Install"
	j.Run.OfferAfter, _ = parseTime("offer after", "2030-01-02 10:00")
	j.Run.MandatoryAfter, _ = parseTime("mandatory after", "2030-01-01 10:00")
	want := j.Validate()
	if want == nil {
		t.Fatal("the model takes a mandatory time before the offer")
	}
	waitFor(t, a, "the model's sentence", func() bool { return shownError(jd) == want.Error() })
	a.locked(func() {
		mandatory.SetText("next tuesday")
		test.Tap(ok) // read by the window: refused at once
		if got := shownError(jd); !strings.HasPrefix(got, "mandatory after") {
			t.Errorf("a bad date says %q", got)
		}
		mandatory.SetText("")
		deferrals.SetText("-1")
		test.Tap(ok)
	})
	waitFor(t, a, "the deferrals sentence", func() bool { return shownError(jd) == "deferrals -1 must be 0 or more" })
	if js, _ := st.ListJobs(context.Background()); len(js) != 0 {
		t.Errorf("%d jobs stored after bad fields", len(js))
	}
}

// TestJobWarningsAreShown: a job the API stores with warnings (a target
// with no computers yet) is made, and the window says what it will leave
// out, in the API's words.
func TestJobWarningsAreShown(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	_, err := a.api.AddSite(ctx, adminapi.SiteRequest{Code: "S02", Name: "Branch", Share: "file:///srv/opensms/s02"})
	must(t, err)
	p, _ := storedPackage(t, a, st)
	a.locked(func() {
		a.newJob(p, model.Target{Kind: model.TargetSite, Name: "S02"})
		test.Tap(buttonIn(t, mustDialog(t, a, "Job Details"), "OK"))
	})
	var id string
	waitFor(t, a, "the job stored", func() bool {
		js, _ := st.ListJobs(ctx)
		if len(js) == 1 {
			id = js[0].ID
		}
		return id != ""
	})
	want := "Site S02 has no computers yet: the job reaches those that join while it lasts."
	waitFor(t, a, "the warning", func() bool {
		d := dialogNamed(a, "Job "+id)
		return d != nil && labelText(d, want)
	})
}
