package admin

import (
	"context"
	"fmt"
	"testing"

	"opensms/core/model"
)

const benchComputers = 10000

// fillComputers adds n computers to site S01 in batches.
func fillComputers(t testing.TB, st model.Store, n int) {
	t.Helper()
	var batch []model.Computer
	for i := 0; i < n; i++ {
		batch = append(batch, model.Computer{Name: fmt.Sprintf("PC%05d", i), Site: "S01", Platform: "windows/amd64"})
		if len(batch) == 1000 || i == n-1 {
			must(t, st.PutComputers(context.Background(), batch...))
			batch = batch[:0]
		}
	}
}

// openSites opens the Sites window and waits until it shows the site, then
// opens the Computers folder and waits until its first page is on screen.
func openSites(t testing.TB, a *Admin) {
	a.locked(func() {
		if w := a.find(titleSites); w != nil {
			a.closeWindow(w)
		}
		a.show(titleSites)
	})
	<-a.sites.loaded
	comps := nodeID(nodeComps, "S01")
	a.locked(func() { a.sites.tree.OpenBranch(comps) })
	first := nodeID(nodePage, "S01", "0")
	waitFor(t, a, "the first page of computers", func() bool {
		for _, r := range a.sites.rows {
			if _, shown := a.sites.shown(r); shown && r.uid == first {
				return true
			}
		}
		return false
	})
}

// BenchmarkSitesWindowOpen opens the Sites window over a real Badger store
// holding 10,000 computers, up to the Computers folder's first page on
// screen.
func BenchmarkSitesWindowOpen(b *testing.B) {
	a, st := newTestAdmin(b)
	fillComputers(b, st, benchComputers)
	b.ResetTimer()
	for b.Loop() {
		openSites(b, a)
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/open")
}

// TestSitesWindowPagesAndFilters10000Computers checks what the Sites window
// shows over 10,000 computers (pages, filter); how fast it opens is
// BenchmarkSitesWindowOpen's to measure, not a test's to assert.
func TestSitesWindowPagesAndFilters10000Computers(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store with 10,000 computers")
	}
	a, st := newTestAdmin(t)
	fillComputers(t, st, benchComputers)
	openSites(t, a)
	a.locked(func() {
		w := a.sites
		n := len(w.comps["S01"]) // the seeded PC001 and the 10,000
		if got := len(w.childUIDs(nodeID(nodeComps, "S01"))); n != benchComputers+1 || got != (n+computerPage-1)/computerPage {
			t.Errorf("Computers has %d children, want pages of %d", got, computerPage)
		}
		w.filter.SetText("PC0999")
		if cs, _ := w.computersOf("S01"); len(cs) != 10 {
			t.Errorf("filter PC0999 matches %d computers, want 10", len(cs))
		}
		if got := w.childUIDs(nodeID(nodeComps, "S01")); len(got) != 10 || got[0] != nodeID(nodeComputer, "PC09990") {
			t.Errorf("filtered children = %v", got)
		}
	})
}
