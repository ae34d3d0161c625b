package admin

import (
	"context"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// pickerIn returns the member picker of a group dialog.
func pickerIn(t testing.TB, d fyne.CanvasObject) *memberPicker {
	t.Helper()
	ps := all[*memberPicker](d)
	if len(ps) == 0 {
		t.Fatal("the group dialog shows no member picker")
	}
	return ps[0]
}

// pickMember filters the picker to name and ticks (or unticks) its row. A
// name the picker does not list is added first as a list gone stale would
// show it: the computer was deleted after the list was read.
func pickMember(t testing.TB, p *memberPicker, name string, on bool) {
	t.Helper()
	if !slices.ContainsFunc(p.all, func(c candidate) bool { return c.name == name }) {
		p.all = append(p.all, candidate{name: name, what: "computer, S01", key: strings.ToLower(name + " computer, S01")})
	}
	p.filter.SetText(name)
	for _, c := range all[*widget.Check](p) {
		if c.Text == name {
			if c.Checked != on {
				test.Tap(c)
			}
			return
		}
	}
	t.Fatalf("filtering by %s shows no row for it", name)
}

// A group's members are picked from the site's computers through a filter,
// at 10,000 computers: the list draws a screenful of rows, the filter
// narrows it, Choose shown ticks what it shows, a row's box unticks, the
// count follows, and OK stores exactly what was chosen.
func TestGroupMembersArePickedFromTheComputers(t *testing.T) {
	a, st := newTestAdmin(t)
	fillComputers(t, st, benchComputers)
	waitFor(t, a, "the group list", func() bool { return len(a.groups.groups) == 1 })
	var d fyne.CanvasObject
	var p *memberPicker
	a.locked(func() {
		a.groups.list.Select(0)
		a.groups.onProperties()
		d = mustDialog(t, a, "Machine Group Properties")
		p = pickerIn(t, d)
	})
	waitFor(t, a, "the computers in the picker", func() bool { return p.loaded })
	a.locked(func() {
		total := benchComputers + 2 // and PC001 and the server dist1
		if p.list.Length() != total {
			t.Errorf("the picker lists %d names, want %d computers and servers", p.list.Length(), total)
		}
		if n := len(all[*widget.Check](p)); n == 0 || n > 100 {
			t.Errorf("the picker draws %d rows for %d names; want a screenful", n, total)
		}
		if got, want := p.count.Text, "1 of 10002 chosen"; got != want {
			t.Errorf("the count says %q, want %q", got, want)
		}
		test.Type(p.filter, "pc0999")
		if got, want := p.count.Text, "1 of 10002 chosen; 10 shown"; got != want {
			t.Errorf("filtered, the count says %q, want %q", got, want)
		}
		test.Tap(buttonIn(t, p, "Choose shown"))
		pickMember(t, p, "dist1", true)
		p.filter.SetText("pc0500") // PC05000–PC05009: Enter chooses only one
		p.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		p.filter.SetText("pc05000")
		p.filter.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		pickMember(t, p, "PC001", false)
		if got, want := p.count.Text, "12 of 10002 chosen; 101 shown"; got != want {
			t.Errorf("after choosing, the count says %q, want %q", got, want)
		}
		test.Tap(buttonIn(t, d, "OK"))
	})
	want := []string{"PC05000", "PC09990", "PC09991", "PC09992", "PC09993", "PC09994", "PC09995", "PC09996", "PC09997", "PC09998", "PC09999", "dist1"}
	waitFor(t, a, "the chosen members stored", func() bool {
		g, err := st.GetGroup(context.Background(), "Accounting")
		return err == nil && slices.Equal(g.Members, want) && dialogNamed(a, "Machine Group Properties") == nil
	})
}

// A name that is no computer cannot be typed; one a stale list still offers
// (deleted since it was read) is refused with the API's sentence, and the
// dialog stays open with what was chosen.
func TestGroupMemberThatIsNoComputerIsRefused(t *testing.T) {
	a, st := newTestAdmin(t)
	var d fyne.CanvasObject
	var p *memberPicker
	a.locked(func() {
		a.groups.onNew()
		d = mustDialog(t, a, "New Machine Group")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "Sales")
		p = pickerIn(t, d)
	})
	waitFor(t, a, "the computers in the picker", func() bool { return p.loaded })
	a.locked(func() {
		pickMember(t, p, "PC001", true)
		pickMember(t, p, "PC404", true)
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "the unknown member refused", func() bool {
		return shownError(d) == "PC404 is neither a computer nor a distribution server"
	})
	a.locked(func() {
		if dialogNamed(a, "New Machine Group") == nil {
			t.Error("the dialog closed on a refused member")
		}
		if got := p.members(); !slices.Equal(got, []string{"PC001", "PC404"}) {
			t.Errorf("after the refusal the picker holds %q", got)
		}
		pickMember(t, p, "PC404", false)
		if shownError(d) != "" {
			t.Error("the sentence stays after the member was unticked")
		}
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "the group stored", func() bool {
		g, err := st.GetGroup(context.Background(), "Sales")
		return err == nil && slices.Equal(g.Members, []string{"PC001"})
	})
}

// TestPickerMarksAComputerAwaitingApproval: a computer that joined by
// itself was listed like any other, though it gets no jobs until an
// administrator approves it. Its row says so, and the filter finds it.
func TestPickerMarksAComputerAwaitingApproval(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	must(t, st.PutComputers(ctx, model.Computer{Name: "PC9", Site: "S01", Platform: "linux/amd64", AwaitingApproval: true}))
	waitFor(t, a, "the group list", func() bool { return len(a.groups.groups) == 1 })
	var p *memberPicker
	a.locked(func() {
		a.groups.list.Select(0)
		a.groups.onProperties()
		p = pickerIn(t, mustDialog(t, a, "Machine Group Properties"))
	})
	waitFor(t, a, "the computers in the picker", func() bool { return p.loaded })
	a.locked(func() {
		for _, c := range p.all {
			if (c.name == "PC9") != strings.Contains(c.what, "awaiting approval") {
				t.Errorf("the picker lists %s as %q", c.name, c.what)
			}
		}
		p.filter.SetText("awaiting")
		if got := len(p.shown); got != 1 {
			t.Errorf("the filter 'awaiting' shows %d rows, want PC9's", got)
		}
	})
}
