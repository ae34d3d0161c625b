// Package admin is the OpenSMS Administrator: a multiple-document window, as
// SMS 1.2's was, with inner windows for Sites, Packages, Jobs, Machine Groups
// and Events, Package Properties, Job Details and drag-and-drop job creation.
// It calls only the Administrator API (core/admin), so that it works the
// same on the API in process and attached to a running site service;
// cmd/smsadmin chooses which and passes it in.
package admin

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/assets"
	adminapi "opensms/core/admin"
)

// Admin is the Administrator's main window.
type Admin struct {
	app fyne.App
	win fyne.Window
	api adminapi.API

	ctx    context.Context
	cancel context.CancelFunc
	// goroutines counts what run started; closing (under goMu) refuses
	// new ones once Close waits, so none reaches the API after it.
	goroutines sync.WaitGroup
	goMu       sync.Mutex
	closing    bool
	// saveOnce keeps the layout as the window closed, not as a second
	// Close after the app stopped finds it.
	saveOnce sync.Once

	mdi    *container.MultipleWindows
	open   []*innerWindow
	status *statusBar
	// marked is the inner window whose accent shows it active (see
	// markActive).
	marked *innerWindow

	packages *packagesWindow
	sites    *sitesWindow
	jobs     *jobsWindow
	groups   *groupsWindow
	events   *eventsWindow

	where   Where    // attached to a site service, or the watchdog in this window
	version string   // the build's, for Help → About
	lost    []func() // what to re-open once the site service is back: the Watch stream

	// views follow the Watch stream; only the UI goroutine touches them.
	views []liveView
}

// Window titles, also the names in the Window menu.
const (
	titleSites    = "Sites"
	titlePackages = "Packages"
	titleJobs     = "Jobs"
	titleGroups   = "Machine Groups"
	titleEvents   = "Events"
)

var windowOrder = []string{titleSites, titlePackages, titleJobs, titleGroups, titleEvents}

// New builds the Administrator's main window over the Administrator API.
func New(app fyne.App, api adminapi.API) *Admin {
	ctx, cancel := context.WithCancel(context.Background())
	a := &Admin{app: app, api: api, ctx: ctx, cancel: cancel}
	if len(assets.Icon) > 0 {
		app.SetIcon(fyne.NewStaticResource("opensms.png", assets.Icon))
	}
	a.win = app.NewWindow("OpenSMS Administrator")
	a.buildUI()
	a.win.SetOnClosed(a.Close)
	return a
}

// Window returns the top-level window.
func (a *Admin) Window() fyne.Window { return a.win }

// ShowAndRun shows the window and runs the app until it quits.
func (a *Admin) ShowAndRun() {
	a.win.ShowAndRun()
	a.Close()
}

// Close keeps the window layout in the app's preferences, stops every
// goroutine the Administrator started and waits for them. It is safe to
// call more than once.
func (a *Admin) Close() {
	a.saveOnce.Do(a.saveLayout)
	a.cancel()
	a.goMu.Lock()
	a.closing = true
	a.goMu.Unlock()
	for _, w := range a.open {
		w.ctl.close()
	}
	a.goroutines.Wait()
}

func (a *Admin) buildUI() {
	a.mdi = container.NewMultipleWindows()
	a.status = newStatusBar(a)
	// Each tool says what it does: Fyne 2.7 has no tooltips, and bare icons
	// were guessed wrong (the info icon is Events, the person Machine Groups).
	toolbar := widget.NewToolbar(
		&labelledTool{"New", theme.DocumentCreateIcon(), a.onNew},
		&labelledTool{"Properties", theme.DocumentIcon(), a.onProperties},
		&labelledTool{"Delete", theme.DeleteIcon(), a.onDelete},
		widget.NewToolbarSeparator(),
		&labelledTool{"Refresh", theme.ViewRefreshIcon(), a.onRefresh},
		&labelledTool{"Run cycle", theme.MediaPlayIcon(), a.onRunCycle},
		widget.NewToolbarSeparator(),
		&labelledTool{"Sites", theme.HomeIcon(), func() { a.show(titleSites) }},
		&labelledTool{"Packages", theme.FolderIcon(), func() { a.show(titlePackages) }},
		&labelledTool{"Jobs", theme.ListIcon(), func() { a.show(titleJobs) }},
		&labelledTool{"Groups", theme.AccountIcon(), func() { a.show(titleGroups) }},
		&labelledTool{"Events", theme.InfoIcon(), func() { a.show(titleEvents) }},
		widget.NewToolbarSpacer(),
		&labelledTool{"Tile", theme.GridIcon(), a.tile},
		&labelledTool{"Cascade", theme.ContentCopyIcon(), a.cascade},
	)
	// The inner windows are tiled, or their saved layout fitted, when the
	// area first has its real size: before the window shows, the driver may
	// report a smaller one.
	statusBar := a.status.buildUI()
	a.watch()
	a.followRecords()
	size, restored := a.openWindows()
	area := container.New(&tileOnce{a: a, restored: restored}, a.mdi)
	a.win.SetContent(container.NewBorder(toolbar, statusBar, nil, nil, area))
	a.win.Resize(size)
	a.updateMenu()
	a.addShortcuts()
	a.status.start()
}

// updateMenu rebuilds the main menu; the Window menu lists the inner windows.
func (a *Admin) updateMenu() {
	file := fyne.NewMenu("File",
		&fyne.MenuItem{Label: "New", Action: a.onNew, Icon: theme.DocumentCreateIcon(), Shortcut: shortcutNew},
		&fyne.MenuItem{Label: "Properties", Action: a.onProperties, Icon: theme.DocumentIcon(), Shortcut: shortcutProps},
		&fyne.MenuItem{Label: "Delete", Action: a.onDelete, Icon: theme.DeleteIcon(), Shortcut: shortcutDelete},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "New Job…", Action: a.onNewJob},
		&fyne.MenuItem{Label: "Import Package Definition…", Action: a.onImport, Shortcut: shortcutImport},
		fyne.NewMenuItemSeparator(),
		&fyne.MenuItem{Label: "Exit", IsQuit: true, Action: a.onExit, Shortcut: shortcutQuit},
	)
	view := fyne.NewMenu("View", &fyne.MenuItem{Label: "Refresh", Action: a.onRefresh, Icon: theme.ViewRefreshIcon(), Shortcut: shortcutRefresh})
	tools := fyne.NewMenu("Tools", &fyne.MenuItem{Label: "Run watchdog cycle now", Action: a.onRunCycle, Icon: theme.MediaPlayIcon(), Shortcut: shortcutCycle},
		&fyne.MenuItem{Label: "Site key…", Action: a.onSiteKey})
	win := fyne.NewMenu("Window",
		&fyne.MenuItem{Label: "Tile", Action: a.tile},
		&fyne.MenuItem{Label: "Cascade", Action: a.cascade},
		fyne.NewMenuItemSeparator(),
	)
	for _, t := range windowOrder {
		title := t
		win.Items = append(win.Items, &fyne.MenuItem{Label: title, Checked: a.find(title) != nil, Action: func() { a.show(title) }})
	}
	help := fyne.NewMenu("Help", &fyne.MenuItem{Label: "About OpenSMS Administrator", Action: a.onAbout})
	a.win.SetMainMenu(fyne.NewMainMenu(file, view, tools, win, help))
}

func (a *Admin) onExit() {
	a.win.Close()
}

// onRunCycle runs one watchdog cycle off the UI goroutine; the windows learn
// what it did from the Watch stream.
func (a *Admin) onRunCycle() {
	a.status.setMessage("Running a watchdog cycle…")
	background(a, a.ctx, func(ctx context.Context) (adminapi.CycleResult, error) {
		return a.api.RunCycle(ctx)
	}, func(res adminapi.CycleResult, err error) {
		switch {
		case err != nil:
			a.status.setMessage(sentence("the watchdog cycle failed: " + err.Error()))
		case res.Err != "":
			a.status.setMessage(sentence(res.Err))
		default:
			a.status.setMessage(fmt.Sprintf("Watchdog cycle done: %d event(s).", len(res.Events)))
		}
		a.onRefresh()
	})
}

func (a *Admin) onRefresh() {
	for _, w := range a.open {
		w.ctl.reload()
	}
}

// active returns the top-most inner window that is shown.
func (a *Admin) active() *innerWindow {
	for i := len(a.mdi.Windows) - 1; i >= 0; i-- {
		iw := a.mdi.Windows[i]
		if !iw.Visible() {
			continue
		}
		for _, w := range a.open {
			if w.iw == iw {
				return w
			}
		}
	}
	return nil
}

func (a *Admin) onNew() {
	if w := a.active(); w != nil {
		w.ctl.onNew()
		return
	}
	a.packagesOrOpen().onNew()
}

func (a *Admin) onProperties() {
	if w := a.active(); w != nil {
		w.ctl.onProperties()
	}
}

func (a *Admin) onDelete() {
	if w := a.active(); w != nil {
		w.ctl.onDelete()
	}
}

func (a *Admin) packagesOrOpen() *packagesWindow {
	a.show(titlePackages)
	return a.packages
}

// showError tells the user what failed in one sentence: the API's, which
// names what it refused and why.
func (a *Admin) showError(err error) {
	dialog.ShowError(errors.New(sentence(err.Error())), a.win)
}

// labelledTool is a toolbar button with its icon and a word for what it does.
type labelledTool struct {
	label string
	icon  fyne.Resource
	do    func()
}

// ToolbarObject is the button the toolbar shows.
func (t *labelledTool) ToolbarObject() fyne.CanvasObject {
	return &widget.Button{Text: t.label, Icon: t.icon, Importance: widget.LowImportance, OnTapped: t.do}
}
