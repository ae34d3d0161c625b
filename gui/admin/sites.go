package admin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
)

// computerPage is how many computers one tree node lists: a Computers node
// with more is split into pages, so that opening it walks a few hundred
// nodes, not ten thousand.
const computerPage = 250

// Tree node IDs are "<kind>:<key>".
const (
	nodeSite     = "site"    // site:S01
	nodeComps    = "comps"   // comps:S01, the Computers folder
	nodePage     = "page"    // page:S01:3, one page of computers
	nodeComputer = "pc"      // pc:PC0001
	nodeLoading  = "loading" // loading:S01
	nodeGroups   = "groups"  // groups:S01 (root sites only; groups span sites)
	nodeGroup    = "grp"     // grp:Accounting
	nodeServers  = "servers" // servers:S01
	nodeServer   = "srv"     // srv:S01/dist1
	nodeEmpty    = "none"    // none:<parent>, "nothing matches"
)

func nodeID(kind string, key ...string) string { return kind + ":" + strings.Join(key, ":") }

func splitNode(uid string) (kind, key string) {
	kind, key, _ = strings.Cut(uid, ":")
	return kind, key
}

// siteData is what the Sites window reads when it opens: everything but the
// computers themselves, which load per site when their folder opens.
type siteData struct {
	sites   map[string]model.Site
	subs    map[string][]string // parent code ("" = roots) -> child codes
	counts  map[string]int
	servers map[string][]model.Server
	groups  []model.MachineGroup
}

// sitesWindow is the Sites window: a lazy tree of sites, their sub-sites,
// computers, machine groups and distribution servers, and the drop target for
// packages.
type sitesWindow struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	loads  latest // the newest reload wins

	tree   *keyTree
	filter *widget.Entry

	data     siteData
	comps    map[string][]model.Computer // site -> computers, sorted, once loaded
	loading  map[string]bool
	filtered map[string][]model.Computer // site -> computers matching the filter
	needle   string
	// awaiting holds the loaded computers that joined by themselves and
	// wait for an administrator's approval (smsctl computer approve).
	awaiting map[string]bool

	rows     []*siteRow
	hover    string // the drop target under a dragged package
	selected string
	// expanded holds the open branches, kept across restarts (prefs.go).
	expanded map[string]bool

	// loaded is closed when the first load has reached the tree.
	loaded chan struct{}
}

func newSitesWindow(a *Admin) *sitesWindow {
	ctx, cancel := context.WithCancel(a.ctx)
	return &sitesWindow{
		adm: a, ctx: ctx, cancel: cancel,
		comps: map[string][]model.Computer{}, loading: map[string]bool{}, filtered: map[string][]model.Computer{},
		awaiting: map[string]bool{}, loaded: make(chan struct{}), expanded: map[string]bool{},
	}
}

func (w *sitesWindow) buildUI() fyne.CanvasObject {
	w.tree = &keyTree{onKey: w.adm.typedKey, Tree: widget.Tree{
		ChildUIDs:  w.childUIDs,
		IsBranch:   w.isBranch,
		CreateNode: func(bool) fyne.CanvasObject { return w.newRow() },
		UpdateNode: func(uid string, _ bool, o fyne.CanvasObject) { o.(*siteRow).update(uid) },
		OnSelected: func(uid string) {
			w.selected = uid
			w.adm.touch(titleSites)
		},
		OnUnselected: func(uid string) {
			if w.selected == uid {
				w.selected = ""
			}
		},
		OnBranchOpened: func(uid string) { w.expanded[uid] = true },
		OnBranchClosed: func(uid string) { delete(w.expanded, uid) },
	}}
	w.tree.ExtendBaseWidget(w.tree)
	w.filter = &widget.Entry{PlaceHolder: "Filter computers, groups and servers", OnChanged: w.onFilter}
	bar := container.NewHBox(
		&widget.Button{Text: "Site", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: func() { w.newSite() }},
		&widget.Button{Text: "Server", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: func() { w.newServer() }},
		&widget.Button{Text: "Computer", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: func() { w.newComputer() }},
	)
	w.reload()
	return container.NewBorder(container.NewBorder(nil, nil, nil, bar, w.filter), nil, nil, nil, w.tree)
}

func (w *sitesWindow) close() {
	w.saveOpen()
	w.cancel()
}

// reload reads sites, counts, servers and groups; computers load when their
// folder is opened.
func (w *sitesWindow) reload() {
	api := w.adm.api
	newest := w.loads.next()
	background(w.adm, w.ctx, func(ctx context.Context) (siteData, error) {
		d := siteData{sites: map[string]model.Site{}, subs: map[string][]string{}, counts: map[string]int{}, servers: map[string][]model.Server{}}
		sites, err := api.ListSites(ctx)
		if err != nil {
			return d, err
		}
		for _, s := range sites {
			d.sites[s.Code] = s
		}
		for _, s := range sites {
			parent := s.Parent
			if _, ok := d.sites[parent]; !ok {
				parent = ""
			}
			d.subs[parent] = append(d.subs[parent], s.Code)
			detail, err := api.GetSite(ctx, s.Code)
			if err != nil {
				return d, err
			}
			d.counts[s.Code], d.servers[s.Code] = detail.Computers, detail.Servers
		}
		for _, cs := range d.subs {
			sort.Strings(cs)
		}
		if d.groups, err = api.ListGroups(ctx); err != nil {
			return d, err
		}
		return d, nil
	}, func(d siteData, err error) {
		if !newest() {
			return
		}
		if err != nil {
			w.adm.status.setMessage(sentence(err.Error()))
			return
		}
		w.data = d
		w.comps = map[string][]model.Computer{}
		w.filtered = map[string][]model.Computer{}
		w.loading = map[string]bool{}
		w.tree.Refresh()
		select {
		case <-w.loaded:
		default:
			w.restoreOpen()
			close(w.loaded)
		}
	})
}

// loadComputers reads one site's computers off the UI goroutine.
func (w *sitesWindow) loadComputers(site string) {
	if w.loading[site] {
		return
	}
	w.loading[site] = true
	background(w.adm, w.ctx, func(ctx context.Context) ([]model.Computer, error) {
		cs, err := w.adm.api.ListComputers(ctx, site)
		sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		return cs, err
	}, func(cs []model.Computer, err error) {
		w.loading[site] = false
		if err != nil {
			w.adm.status.setMessage(sentence(err.Error()))
			return
		}
		w.comps[site] = cs
		for _, c := range cs {
			if c.AwaitingApproval {
				w.awaiting[c.Name] = true
			} else {
				delete(w.awaiting, c.Name)
			}
		}
		delete(w.filtered, site)
		w.tree.Refresh()
	})
}

func (w *sitesWindow) onFilter(s string) {
	w.needle = strings.ToLower(strings.TrimSpace(s))
	w.filtered = map[string][]model.Computer{}
	w.tree.Refresh()
}

func (w *sitesWindow) matches(s string) bool {
	return w.needle == "" || strings.Contains(strings.ToLower(s), w.needle)
}

// computersOf returns the site's computers that match the filter, and
// whether they have been loaded.
func (w *sitesWindow) computersOf(site string) ([]model.Computer, bool) {
	all, ok := w.comps[site]
	if !ok {
		return nil, false
	}
	if w.needle == "" {
		return all, true
	}
	if f, ok := w.filtered[site]; ok {
		return f, true
	}
	f := []model.Computer{}
	for _, c := range all {
		if w.matches(c.Name) {
			f = append(f, c)
		}
	}
	w.filtered[site] = f
	return f, true
}

func (w *sitesWindow) isBranch(uid string) bool {
	if uid == "" {
		return true
	}
	switch kind, _ := splitNode(uid); kind {
	case nodeSite, nodeComps, nodePage, nodeGroups, nodeServers:
		return true
	}
	return false
}

func (w *sitesWindow) childUIDs(uid string) []string {
	if uid == "" {
		return prefixed(nodeSite, w.data.subs[""])
	}
	kind, key := splitNode(uid)
	switch kind {
	case nodeSite:
		ids := prefixed(nodeSite, w.data.subs[key])
		ids = append(ids, nodeID(nodeComps, key))
		if s := w.data.sites[key]; s.Parent == "" || w.data.sites[s.Parent].Code == "" {
			ids = append(ids, nodeID(nodeGroups, key))
		}
		return append(ids, nodeID(nodeServers, key))
	case nodeComps:
		cs, ok := w.computersOf(key)
		if !ok {
			w.loadComputers(key)
			return []string{nodeID(nodeLoading, key)}
		}
		if len(cs) == 0 {
			return []string{nodeID(nodeEmpty, uid)}
		}
		if len(cs) <= computerPage {
			return computerIDs(cs)
		}
		pages := (len(cs) + computerPage - 1) / computerPage
		ids := make([]string, pages)
		for i := range ids {
			ids[i] = nodeID(nodePage, key, strconv.Itoa(i))
		}
		return ids
	case nodePage:
		site, n, _ := strings.Cut(key, ":")
		i, _ := strconv.Atoi(n)
		cs, _ := w.computersOf(site)
		lo, hi := i*computerPage, (i+1)*computerPage
		if lo > len(cs) {
			return nil
		}
		return computerIDs(cs[lo:min(hi, len(cs))])
	case nodeGroups:
		var ids []string
		for _, g := range w.data.groups {
			if w.matches(g.Name) {
				ids = append(ids, nodeID(nodeGroup, g.Name))
			}
		}
		if len(ids) == 0 {
			return []string{nodeID(nodeEmpty, uid)}
		}
		return ids
	case nodeServers:
		var ids []string
		for _, s := range w.data.servers[key] {
			if w.matches(s.Name) || w.matches(s.URL) {
				ids = append(ids, nodeID(nodeServer, s.Site+"/"+s.Name))
			}
		}
		if len(ids) == 0 {
			return []string{nodeID(nodeEmpty, uid)}
		}
		return ids
	}
	return nil
}

func prefixed(kind string, keys []string) []string {
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = nodeID(kind, k)
	}
	return ids
}

func computerIDs(cs []model.Computer) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = nodeID(nodeComputer, c.Name)
	}
	return ids
}

// label returns a node's icon and text.
func (w *sitesWindow) label(uid string) (fyne.Resource, string) {
	kind, key := splitNode(uid)
	switch kind {
	case nodeSite:
		s := w.data.sites[key]
		return theme.HomeIcon(), fmt.Sprintf("%s — %s", s.Code, s.Name)
	case nodeComps:
		n := w.data.counts[key]
		if cs, ok := w.computersOf(key); ok && w.needle != "" {
			return theme.ComputerIcon(), fmt.Sprintf("Computers (%d of %d)", len(cs), n)
		}
		return theme.ComputerIcon(), fmt.Sprintf("Computers (%d)", n)
	case nodePage:
		site, n, _ := strings.Cut(key, ":")
		i, _ := strconv.Atoi(n)
		cs, _ := w.computersOf(site)
		lo, hi := i*computerPage, min((i+1)*computerPage, len(cs))
		if lo >= hi {
			return theme.FolderIcon(), ""
		}
		return theme.FolderIcon(), fmt.Sprintf("%s – %s", cs[lo].Name, cs[hi-1].Name)
	case nodeComputer:
		if w.awaiting[key] {
			return theme.QuestionIcon(), key + " — awaiting approval"
		}
		return theme.ComputerIcon(), key
	case nodeLoading:
		return theme.ViewRefreshIcon(), "Loading…"
	case nodeGroups:
		return theme.AccountIcon(), fmt.Sprintf("Machine Groups (%d)", len(w.data.groups))
	case nodeGroup:
		for _, g := range w.data.groups {
			if g.Name == key {
				return theme.AccountIcon(), fmt.Sprintf("%s (%s)", g.Name, members(len(g.Members)))
			}
		}
		return theme.AccountIcon(), key
	case nodeServers:
		return theme.StorageIcon(), fmt.Sprintf("Distribution Servers (%d)", len(w.data.servers[key]))
	case nodeServer:
		if s, ok := w.server(key); ok {
			def := ""
			if s.Default {
				def = "  [Default]"
			}
			return theme.StorageIcon(), fmt.Sprintf("%s — %s%s", s.Name, displayLocation(s.URL), def)
		}
		return theme.StorageIcon(), key
	case nodeEmpty:
		if w.needle != "" {
			return theme.InfoIcon(), "Nothing matches the filter"
		}
		return theme.InfoIcon(), "None"
	}
	return nil, uid
}

func (w *sitesWindow) server(key string) (model.Server, bool) {
	site, name, _ := strings.Cut(key, "/")
	for _, s := range w.data.servers[site] {
		if s.Name == name {
			return s, true
		}
	}
	return model.Server{}, false
}

// displayLocation shows a location as Windows users know it.
func displayLocation(s string) string {
	l, err := model.ParseLocation(s)
	if err != nil {
		return s
	}
	return l.UNC()
}

// dropTarget maps a tree node to a job target; only sites, computers and
// machine groups take a package.
func dropTarget(uid string) (model.Target, bool) {
	kind, key := splitNode(uid)
	switch kind {
	case nodeSite:
		return model.Target{Kind: model.TargetSite, Name: key}, true
	case nodeComputer:
		return model.Target{Kind: model.TargetComputer, Name: key}, true
	case nodeGroup:
		return model.Target{Kind: model.TargetGroup, Name: key}, true
	}
	return model.Target{}, false
}

// rowAt returns the node of the tree row under the absolute position pos,
// or "" when the Sites window is not what is on top there. Rows the tree is
// not showing (scrolled away, pooled) have no absolute position.
func (w *sitesWindow) rowAt(pos fyne.Position) string {
	me := w.adm.find(titleSites)
	if me == nil || !me.iw.Visible() {
		return ""
	}
	drv := fyne.CurrentApp().Driver()
	for i := len(w.adm.mdi.Windows) - 1; i >= 0; i-- {
		iw := w.adm.mdi.Windows[i]
		if !iw.Visible() || !contains(drv.AbsolutePositionForObject(iw), iw.Size(), pos) {
			continue
		}
		if iw != me.iw {
			return "" // another inner window covers the Sites window here
		}
		break
	}
	if !contains(drv.AbsolutePositionForObject(w.tree), w.tree.Size(), pos) {
		return ""
	}
	for _, r := range w.rows {
		if at, ok := w.shown(r); ok && contains(at, r.Size(), pos) {
			return r.uid
		}
	}
	return ""
}

// shown returns where a row is on screen, and whether the tree shows it at
// all: a row the tree has put back in its pool is not in the canvas, and the
// driver places it at the canvas origin, outside the tree.
func (w *sitesWindow) shown(r *siteRow) (fyne.Position, bool) {
	if r.uid == "" || !r.Visible() {
		return fyne.Position{}, false
	}
	drv := fyne.CurrentApp().Driver()
	at := drv.AbsolutePositionForObject(r)
	treeAt := drv.AbsolutePositionForObject(w.tree)
	return at, contains(treeAt, w.tree.Size(), at)
}

func contains(at fyne.Position, size fyne.Size, p fyne.Position) bool {
	return p.X >= at.X && p.Y >= at.Y && p.X < at.X+size.Width && p.Y < at.Y+size.Height
}

// targetAt is the hit test a drop uses: the job target under pos, if any.
func (w *sitesWindow) targetAt(pos fyne.Position) (model.Target, bool) {
	return dropTarget(w.rowAt(pos))
}

// highlightAt marks the drop target under pos while a package is dragged.
func (w *sitesWindow) highlightAt(pos fyne.Position) {
	uid := w.rowAt(pos)
	if _, ok := dropTarget(uid); !ok {
		uid = ""
	}
	if uid == w.hover {
		return
	}
	w.hover = uid
	for _, r := range w.rows {
		r.refreshHighlight()
	}
}

func (w *sitesWindow) newRow() *siteRow {
	r := &siteRow{w: w}
	r.ExtendBaseWidget(r)
	w.rows = append(w.rows, r)
	return r
}

// siteRow is one row of the Sites tree.
type siteRow struct {
	widget.BaseWidget
	w     *sitesWindow
	uid   string
	bg    *canvas.Rectangle
	icon  *widget.Icon
	label *widget.Label
	// pointed is set while the pointer is on the row (see MouseIn).
	pointed bool
}

var (
	_ fyne.Tappable       = (*siteRow)(nil)
	_ fyne.DoubleTappable = (*siteRow)(nil)
	_ desktop.Hoverable   = (*siteRow)(nil)
)

func (r *siteRow) CreateRenderer() fyne.WidgetRenderer {
	r.bg = &canvas.Rectangle{CornerRadius: theme.InputRadiusSize()}
	r.icon = &widget.Icon{}
	r.label = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	r.update(r.uid)
	return widget.NewSimpleRenderer(container.NewStack(r.bg, container.NewBorder(nil, nil, r.icon, nil, r.label)))
}

func (r *siteRow) update(uid string) {
	r.uid = uid
	if r.label == nil {
		return
	}
	icon, text := r.w.label(uid)
	r.icon.SetResource(icon)
	r.label.SetText(text)
	r.refreshHighlight()
}

func (r *siteRow) refreshHighlight() {
	if r.bg == nil {
		return
	}
	if r.uid != "" && r.uid == r.w.hover {
		c := theme.Color(theme.ColorNamePrimary)
		rr, g, b, _ := c.RGBA()
		r.bg.FillColor = colorRGBA(rr, g, b, 0x70)
		r.bg.StrokeColor = c
		r.bg.StrokeWidth = 2
	} else if r.pointed {
		r.bg.FillColor = theme.Color(theme.ColorNameHover)
		r.bg.StrokeColor = nil
		r.bg.StrokeWidth = 0
	} else {
		r.bg.FillColor = nil
		r.bg.StrokeColor = nil
		r.bg.StrokeWidth = 0
	}
	r.bg.Refresh()
}

// MouseIn marks the row, as the tree node underneath did before the row
// took the pointer, and shows a name the tree cuts short whole in the
// status bar (Fyne 2.7 has no tooltips).
func (r *siteRow) MouseIn(*desktop.MouseEvent) {
	r.pointed = true
	r.refreshHighlight()
	if r.label != nil && !labelWhole(r.label) {
		r.w.adm.status.hint(r.label.Text)
	}
}

// MouseMoved does nothing more: the row has one text.
func (r *siteRow) MouseMoved(*desktop.MouseEvent) {}

// MouseOut unmarks the row and puts the status bar's message back.
func (r *siteRow) MouseOut() {
	r.pointed = false
	r.refreshHighlight()
	r.w.adm.status.hint("")
}

// Tapped selects the row (the tree node underneath no longer sees the tap).
func (r *siteRow) Tapped(*fyne.PointEvent) {
	if r.uid != "" {
		r.w.tree.Select(r.uid)
	}
}

// DoubleTapped opens a branch or shows a leaf's properties.
func (r *siteRow) DoubleTapped(*fyne.PointEvent) {
	if r.uid == "" {
		return
	}
	r.w.tree.Select(r.uid)
	kind, _ := splitNode(r.uid)
	if r.w.isBranch(r.uid) && kind != nodeSite {
		r.w.tree.ToggleBranch(r.uid)
		return
	}
	r.w.onProperties()
}

// siteOf returns the site a node belongs to, for New.
func (w *sitesWindow) siteOf(uid string) string {
	kind, key := splitNode(uid)
	switch kind {
	case nodeSite, nodeComps, nodeGroups, nodeServers, nodeLoading:
		return key
	case nodePage:
		s, _, _ := strings.Cut(key, ":")
		return s
	case nodeServer:
		s, _, _ := strings.Cut(key, "/")
		return s
	case nodeComputer:
		for site, cs := range w.comps {
			for _, c := range cs {
				if c.Name == key {
					return site
				}
			}
		}
	}
	if len(w.data.subs[""]) > 0 {
		return w.data.subs[""][0]
	}
	return ""
}

// onNew adds what fits the selected node: a server under Distribution
// Servers, a computer under Computers, a group under Machine Groups, else a
// site (a sub-site of the selected one).
func (w *sitesWindow) onNew() {
	kind, _ := splitNode(w.selected)
	switch kind {
	case nodeServers, nodeServer:
		w.newServer()
	case nodeComps, nodePage, nodeComputer:
		w.newComputer()
	case nodeGroups, nodeGroup:
		newGroupDialog(w.adm, model.MachineGroup{}, true).show()
	default:
		w.newSite()
	}
}

func (w *sitesWindow) newSite() {
	parent := ""
	if kind, key := splitNode(w.selected); kind == nodeSite {
		parent = key
	}
	newSiteDialog(w.adm, model.Site{Parent: parent}, true).show()
}

func (w *sitesWindow) newServer() {
	newServerDialog(w.adm, model.Server{Site: w.siteOf(w.selected)}, true).show()
}

func (w *sitesWindow) newComputer() {
	newComputerDialog(w.adm, model.Computer{Site: w.siteOf(w.selected)}, true).show()
}

func (w *sitesWindow) onProperties() {
	kind, key := splitNode(w.selected)
	a := w.adm
	switch kind {
	case nodeSite:
		newSiteDialog(a, w.data.sites[key], false).show()
	case nodeServer:
		if s, ok := w.server(key); ok {
			newServerDialog(a, s, false).show()
		}
	case nodeComputer:
		background(a, w.ctx, func(ctx context.Context) (model.Computer, error) {
			return a.api.GetComputer(ctx, key)
		}, func(c model.Computer, err error) {
			if err != nil {
				a.showError(err)
				return
			}
			newComputerDialog(a, c, false).show()
		})
	case nodeGroup:
		for _, g := range w.data.groups {
			if g.Name == key {
				newGroupDialog(a, g, false).show()
			}
		}
	}
}

func (w *sitesWindow) onDelete() {
	kind, key := splitNode(w.selected)
	api := w.adm.api
	var what string
	var del func(context.Context) error
	switch kind {
	case nodeSite:
		what, del = "site "+key, func(ctx context.Context) error { return api.DeleteSite(ctx, key) }
	case nodeServer:
		site, name, _ := strings.Cut(key, "/")
		what, del = "distribution server "+name+" of site "+site, func(ctx context.Context) error { return api.DeleteServer(ctx, site, name) }
	case nodeComputer:
		what, del = "computer "+key, func(ctx context.Context) error { return api.DeleteComputer(ctx, key) }
	case nodeGroup:
		what, del = "machine group "+key, func(ctx context.Context) error { return api.DeleteGroup(ctx, key) }
	default:
		return
	}
	dialog.ShowConfirm("Delete", "Delete "+what+"?", func(yes bool) {
		if !yes {
			return
		}
		background(w.adm, w.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, del(ctx)
		}, func(_ struct{}, err error) {
			if err != nil {
				w.adm.showError(err)
				return
			}
			w.adm.status.setMessage("Deleted " + what + ".")
			w.adm.changed()
		})
	}, w.adm.win)
}

// members says "1 member", "2 members" (the tree said "1 members").
func members(n int) string {
	if n == 1 {
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}
