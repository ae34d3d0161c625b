package pcm

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// tray is the system-tray icon and its menu: Open, Refresh, Quit, with the
// count of pending offers in Open's label.
type tray struct {
	p    *PCM
	desk desktop.App

	menu    *fyne.Menu
	open    *fyne.MenuItem
	refresh *fyne.MenuItem
	quit    *fyne.MenuItem
	pending int
}

func newTray(p *PCM, desk desktop.App) *tray {
	return &tray{p: p, desk: desk}
}

func (t *tray) buildUI() {
	t.open = &fyne.MenuItem{Label: openLabel(0), Action: t.onOpen}
	t.refresh = &fyne.MenuItem{Label: "Refresh", Action: t.onRefresh}
	t.quit = &fyne.MenuItem{Label: "Quit", IsQuit: true, Action: t.p.Quit}
	t.menu = fyne.NewMenu("OpenSMS", t.open, t.refresh, fyne.NewMenuItemSeparator(), t.quit)
	t.desk.SetSystemTrayIcon(t.p.icon)
	t.desk.SetSystemTrayMenu(t.menu)
	t.desk.SetSystemTrayWindow(t.p.main.win)
}

func openLabel(n int) string {
	switch n {
	case 0:
		return "Open Package Command Manager"
	case 1:
		return "Open Package Command Manager (1 pending)"
	}
	return fmt.Sprintf("Open Package Command Manager (%d pending)", n)
}

func (t *tray) setPending(n int) {
	if n == t.pending {
		return
	}
	t.pending = n
	t.open.Label = openLabel(n)
	t.menu.Refresh()
}

func (t *tray) onOpen() {
	t.p.main.win.Show()
	t.p.main.win.RequestFocus()
}

func (t *tray) onRefresh() {
	t.p.requestRefresh()
}
