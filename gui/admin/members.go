package admin

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// candidate is one name a static machine group may hold: a computer or a
// distribution server the API lists.
type candidate struct {
	name string
	what string // "computer, S01, windows/amd64"
	key  string // lower-case name and what, for the filter
}

// memberPicker chooses a static group's members from the computers and
// distribution servers of the sites, through a filter. The list is virtual
// (one row widget per visible row), so that a site of 10,000 computers
// filters and scrolls as one of ten. Nothing is typed: a name the API does
// not list can be chosen only if the group already held it (a computer
// deleted since), and then the API's sentence refuses it.
type memberPicker struct {
	widget.BaseWidget

	all    []candidate
	shown  []int // indexes into all that match the filter
	chosen map[string]bool
	loaded bool

	filter *widget.Entry
	list   *widget.List
	count  *widget.Label
	box    fyne.CanvasObject

	// onChange is told of every choice, so that the dialog can clear its
	// stale sentence as typing does.
	onChange func()
}

func newMemberPicker(members []string) *memberPicker {
	p := &memberPicker{chosen: map[string]bool{}}
	for _, m := range members {
		p.chosen[m] = true
	}
	p.setCandidates(nil)
	p.build()
	p.ExtendBaseWidget(p)
	return p
}

// CreateRenderer shows the filter, the list and the count.
func (p *memberPicker) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(p.box)
}

func (p *memberPicker) build() {
	p.filter = &widget.Entry{PlaceHolder: "Filter by name, site or platform (Enter picks a lone match)",
		OnChanged: func(string) { p.applyFilter() }, OnSubmitted: func(string) { p.chooseOnly() }}
	p.count = &widget.Label{}
	p.list = &widget.List{
		Length: func() int { return len(p.shown) },
		CreateItem: func() fyne.CanvasObject {
			return container.NewBorder(nil, nil, &widget.Check{}, nil, &widget.Label{Importance: widget.LowImportance, Truncation: fyne.TextTruncateEllipsis})
		},
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(p.shown) {
				return
			}
			c := p.all[p.shown[id]]
			row := o.(*fyne.Container)
			check := row.Objects[1].(*widget.Check)
			check.OnChanged = nil // a recycled row must not choose its old name
			check.Text, check.Checked = c.name, p.chosen[c.name]
			check.Refresh()
			check.OnChanged = func(on bool) { p.choose(c.name, on) }
			row.Objects[0].(*widget.Label).SetText(c.what)
		},
		// A tap on the row (not only its box) chooses too, and the
		// keyboard's selection moves through the list.
		OnSelected: func(id widget.ListItemID) {
			if id < len(p.shown) {
				name := p.all[p.shown[id]].name
				p.choose(name, !p.chosen[name])
			}
			p.list.Unselect(id)
		},
	}
	// The list's own minimum is one row: this keeps a dozen in view.
	tall := canvas.NewRectangle(nil)
	tall.SetMinSize(fyne.NewSize(0, 260))
	bar := container.NewHBox(
		&widget.Button{Text: "Choose shown", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: func() { p.chooseShown(true) }},
		&widget.Button{Text: "Clear shown", Icon: theme.ContentRemoveIcon(), Importance: widget.LowImportance, OnTapped: func() { p.chooseShown(false) }},
	)
	p.box = container.NewBorder(p.filter, container.NewBorder(nil, nil, nil, bar, p.count), nil, nil, container.NewStack(tall, p.list))
	p.applyFilter()
}

// load reads the computers and distribution servers off the UI goroutine.
func (p *memberPicker) load(a *Admin) {
	type names struct {
		comps   []model.Computer
		servers []model.Server
	}
	background(a, a.ctx, func(ctx context.Context) (names, error) {
		cs, err := a.api.ListComputers(ctx, "")
		if err != nil {
			return names{}, err
		}
		ss, err := a.api.ListServers(ctx, "")
		return names{cs, ss}, err
	}, func(n names, err error) {
		if err != nil {
			p.count.SetText("Reading the computers: " + err.Error())
			p.count.Importance = widget.DangerImportance
			p.count.Refresh()
			return
		}
		var cs []candidate
		for _, c := range n.comps {
			what := "computer, " + c.Site
			if c.Platform != "" {
				what += ", " + string(c.Platform)
			}
			if c.AwaitingApproval {
				// It gets no jobs until approved, in a group or not.
				what += ", awaiting approval"
			}
			cs = append(cs, candidate{name: c.Name, what: what})
		}
		for _, s := range n.servers {
			cs = append(cs, candidate{name: s.Name, what: "distribution server, " + s.Site})
		}
		p.loaded = true
		p.setCandidates(cs)
		p.applyFilter()
	})
}

// setCandidates lists cs, and the chosen names that are not among them.
func (p *memberPicker) setCandidates(cs []candidate) {
	seen := map[string]bool{}
	all := make([]candidate, 0, len(cs)+len(p.chosen))
	for _, c := range cs {
		if !seen[c.name] {
			seen[c.name] = true
			all = append(all, c)
		}
	}
	for m := range p.chosen {
		if !seen[m] {
			what := "reading the computers…"
			if p.loaded {
				what = "neither a computer nor a distribution server now"
			}
			all = append(all, candidate{name: m, what: what})
		}
	}
	for i := range all {
		all[i].key = strings.ToLower(all[i].name + " " + all[i].what)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	p.all = all
}

// applyFilter shows the candidates whose name, site or platform holds
// the filter's text.
func (p *memberPicker) applyFilter() {
	needle := ""
	if p.filter != nil {
		needle = strings.ToLower(strings.TrimSpace(p.filter.Text))
	}
	p.shown = p.shown[:0]
	for i, c := range p.all {
		if needle == "" || strings.Contains(c.key, needle) {
			p.shown = append(p.shown, i)
		}
	}
	if p.list != nil {
		p.list.Refresh()
		p.list.ScrollTo(0) // ScrollToTop panics before the list is drawn
	}
	p.showCount()
}

func (p *memberPicker) choose(name string, on bool) {
	if on {
		p.chosen[name] = true
	} else {
		delete(p.chosen, name)
	}
	p.showCount()
	if p.onChange != nil {
		p.onChange()
	}
}

// chooseShown chooses (or clears) every candidate the filter shows.
func (p *memberPicker) chooseShown(on bool) {
	for _, i := range p.shown {
		if on {
			p.chosen[p.all[i].name] = true
		} else {
			delete(p.chosen, p.all[i].name)
		}
	}
	p.list.Refresh()
	p.showCount()
	if p.onChange != nil {
		p.onChange()
	}
}

// chooseOnly chooses the one candidate the filter shows, so that a member
// can be added from the keyboard: type its name, press Enter.
func (p *memberPicker) chooseOnly() {
	if len(p.shown) == 1 {
		p.chooseShown(true)
	}
}

func (p *memberPicker) showCount() {
	if p.count == nil {
		return
	}
	switch {
	case !p.loaded:
		p.count.SetText(fmt.Sprintf("%d chosen; reading the computers…", len(p.chosen)))
	case len(p.shown) < len(p.all):
		p.count.SetText(fmt.Sprintf("%d of %d chosen; %d shown", len(p.chosen), len(p.all), len(p.shown)))
	default:
		p.count.SetText(fmt.Sprintf("%d of %d chosen", len(p.chosen), len(p.all)))
	}
}

// members returns the chosen names in the list's order.
func (p *memberPicker) members() []string {
	ms := make([]string, 0, len(p.chosen))
	for _, c := range p.all {
		if p.chosen[c.name] {
			ms = append(ms, c.name)
		}
	}
	return ms
}
