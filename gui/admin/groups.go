package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// groupsWindow lists the machine groups; their members are edited in the
// group dialog.
type groupsWindow struct {
	adm    *Admin
	ctx    context.Context
	cancel context.CancelFunc
	loads  latest // the newest reload wins

	list     *keyList
	cols     *columns // shared by the header and every row
	groups   []model.MachineGroup
	selected int
}

func newGroupsWindow(a *Admin) *groupsWindow {
	ctx, cancel := context.WithCancel(a.ctx)
	return &groupsWindow{adm: a, ctx: ctx, cancel: cancel, selected: -1}
}

func (w *groupsWindow) buildUI() fyne.CanvasObject {
	w.cols = w.adm.listColumns("groups", "Group", "Members", "Computers")
	w.list = &keyList{onKey: w.adm.typedKey, List: widget.List{
		Length:     func() int { return len(w.groups) },
		CreateItem: func() fyne.CanvasObject { return w.cols.row() },
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) {
			o.(*cellRow).setTexts(groupCells(w.groups[id]))
		},
		OnSelected: func(id widget.ListItemID) {
			if w.selected == id {
				return // reload putting the selection back: no raise
			}
			w.selected = id
			w.adm.touch(titleGroups)
		},
		OnUnselected: func(widget.ListItemID) { w.selected = -1 },
	}}
	w.list.ExtendBaseWidget(w.list)
	bar := container.NewHBox(
		&widget.Button{Text: "New group…", Icon: theme.ContentAddIcon(), Importance: widget.LowImportance, OnTapped: w.onNew},
		&widget.Button{Text: "Members…", Icon: theme.DocumentIcon(), Importance: widget.LowImportance, OnTapped: w.onProperties},
		&widget.Button{Text: "Delete", Icon: theme.DeleteIcon(), Importance: widget.LowImportance, OnTapped: w.onDelete},
	)
	w.reload()
	return container.NewBorder(container.NewVBox(bar, w.cols.header()), nil, nil, nil, w.list)
}

func (w *groupsWindow) close() { w.cancel() }

func (w *groupsWindow) reload() {
	newest := w.loads.next()
	background(w.adm, w.ctx, func(ctx context.Context) ([]model.MachineGroup, error) {
		return w.adm.api.ListGroups(ctx)
	}, func(gs []model.MachineGroup, err error) {
		if !newest() {
			return
		}
		if err != nil {
			w.adm.status.setMessage("Reading machine groups: " + err.Error())
			return
		}
		// A reload comes unasked too (another window, smsctl, a query
		// group's new members): the selected group stays selected.
		var keep string
		if w.selected >= 0 && w.selected < len(w.groups) {
			keep = w.groups[w.selected].Name
		}
		w.groups = gs
		w.list.UnselectAll()
		w.cols.fit(len(gs), func(i int) []string { return groupCells(gs[i]) })
		w.list.Refresh()
		if i := slices.IndexFunc(gs, func(g model.MachineGroup) bool { return g.Name == keep }); keep != "" && i >= 0 {
			w.selected = i
			w.list.Select(i)
		}
	})
}

// groupCells is what a group's row shows, a text a column.
func groupCells(g model.MachineGroup) []string {
	members := strings.Join(g.Members, ", ")
	if g.Query != "" {
		members = "query " + g.Query + ": " + members
	}
	return []string{g.Name, fmt.Sprintf("%d", len(g.Members)), members}
}

func (w *groupsWindow) onNew() { newGroupDialog(w.adm, model.MachineGroup{}, true).show() }

func (w *groupsWindow) onProperties() {
	if w.selected >= 0 && w.selected < len(w.groups) {
		newGroupDialog(w.adm, w.groups[w.selected], false).show()
	}
}

func (w *groupsWindow) onDelete() {
	if w.selected < 0 || w.selected >= len(w.groups) {
		return
	}
	g := w.groups[w.selected]
	dialog.ShowConfirm("Delete machine group", fmt.Sprintf("Delete machine group %q? Its computers stay.", g.Name), func(yes bool) {
		if !yes {
			return
		}
		background(w.adm, w.ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, w.adm.api.DeleteGroup(ctx, g.Name)
		}, func(_ struct{}, err error) {
			if err != nil {
				w.adm.showError(err)
				return
			}
			w.adm.changed()
		})
	}, w.adm.win)
}

// groupDialog adds or edits a machine group and its members.
type groupDialog struct {
	formDialog
	group model.MachineGroup
	isNew bool

	name, comment, query *widget.Entry
	preview              *widget.Label
	// picker chooses a static group's members; a query group's members
	// come from its query and are listed in queryMembers instead.
	picker       *memberPicker
	queryMembers fyne.CanvasObject
}

func newGroupDialog(a *Admin, g model.MachineGroup, isNew bool) *groupDialog {
	title := "Machine Group Properties"
	if isNew {
		title = "New Machine Group"
	}
	return &groupDialog{formDialog: formDialog{adm: a, title: title}, group: g, isNew: isNew}
}

func (d *groupDialog) show() {
	d.name = &widget.Entry{Text: d.group.Name, PlaceHolder: "e.g. Accounting"}
	d.comment = &widget.Entry{Text: d.group.Comment}
	static := d.group.Members
	if d.group.Query != "" {
		static = nil // clearing the query starts an empty static group
	}
	d.picker = newMemberPicker(static)
	d.picker.onChange = func() {
		if d.errText != nil {
			d.errText.SetText("")
		}
	}
	d.query = &widget.Entry{Text: d.group.Query, PlaceHolder: `e.g. not ("S0100012" in installed) and memory_mb >= 4096`}
	d.query.OnChanged = func(string) { d.showQueryMode() }
	d.preview = &widget.Label{Wrapping: fyne.TextWrapWord}
	previewBtn := &widget.Button{Text: "Preview members", Icon: theme.SearchIcon(), OnTapped: d.onPreview}
	d.queryMembers = d.buildQueryMembers()
	d.showQueryMode()
	d.open(widget.NewForm(
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Comment", d.comment),
		widget.NewFormItem("Query", container.NewBorder(nil, nil, nil, previewBtn, d.query)),
		widget.NewFormItem("", d.preview),
		widget.NewFormItem("Members", container.NewStack(d.picker, d.queryMembers)),
	), fyne.NewSize(620, 600), d.onOK)
	d.picker.load(d.adm)
}

// buildQueryMembers lists a query group's members as the last watchdog
// cycle found them, with when each joined; a list, as there may be
// thousands.
func (d *groupDialog) buildQueryMembers() fyne.CanvasObject {
	var lines []string
	if d.group.Query != "" {
		for _, m := range d.group.Members {
			lines = append(lines, m+"  (joined "+d.group.Joined[m].Local().Format(timeLayout)+")")
		}
	}
	list := &widget.List{
		Length:     func() int { return len(lines) },
		CreateItem: func() fyne.CanvasObject { return &widget.Label{} },
		UpdateItem: func(id widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(lines[id]) },
	}
	note := &widget.Label{Text: "A query group's members are the computers its query matches, found again each watchdog cycle.", Wrapping: fyne.TextWrapWord, Importance: widget.LowImportance}
	if d.group.Query == "" {
		note.Text = "Members are found by the query at the next watchdog cycle; Preview members shows them now."
	}
	return container.NewBorder(note, nil, nil, nil, list)
}

// showQueryMode: a query group's members come from its query, so they are
// shown, not chosen.
func (d *groupDialog) showQueryMode() {
	if strings.TrimSpace(d.query.Text) != "" {
		d.picker.Hide()
		d.queryMembers.Show()
	} else {
		d.queryMembers.Hide()
		d.picker.Show()
	}
}

// onPreview asks the API which computers the typed query matches now.
func (d *groupDialog) onPreview() {
	q := d.query.Text
	d.preview.SetText("Evaluating…")
	background(d.adm, d.adm.ctx, func(ctx context.Context) (adminapi.GroupPreview, error) {
		return d.adm.api.PreviewGroup(ctx, q)
	}, func(p adminapi.GroupPreview, err error) {
		if err != nil {
			d.preview.SetText(err.Error())
			d.preview.Importance = widget.DangerImportance
			d.preview.Refresh()
			return
		}
		d.preview.Importance = widget.MediumImportance
		d.preview.SetText(previewText(p))
	})
}

// previewText says a preview: how many of how many, and the first names.
func previewText(p adminapi.GroupPreview) string {
	head := fmt.Sprintf("%d of %d computers match", len(p.Members), p.Computers)
	if len(p.Members) == 0 {
		return head
	}
	names := p.Members
	more := ""
	if len(names) > 20 {
		names, more = names[:20], fmt.Sprintf(" and %d more", len(p.Members)-20)
	}
	return head + ": " + strings.Join(names, ", ") + more
}

// onOK stores the group as typed and chosen: the API checks the name, that
// every member is a computer or a distribution server, and renames in one
// step.
func (d *groupDialog) onOK() {
	r := adminapi.GroupRequest{
		Name:    d.name.Text,
		Comment: d.comment.Text,
		Query:   strings.TrimSpace(d.query.Text),
	}
	if r.Query == "" {
		r.Members = d.picker.members()
	}
	if d.isNew {
		d.store("machine group "+strings.TrimSpace(r.Name), func(ctx context.Context) error {
			_, err := d.adm.api.AddGroup(ctx, r)
			return err
		})
		return
	}
	r.OldName = d.group.Name
	d.store("machine group "+strings.TrimSpace(r.Name), func(ctx context.Context) error {
		_, err := d.adm.api.UpdateGroup(ctx, r)
		return err
	})
}
