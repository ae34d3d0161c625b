package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// Keyboard shortcuts of the main window. Ctrl+N and the others with a
// modifier are on the menu items (which show them) and on the canvas (which
// the test driver and a focus-less window use); F5 and Delete carry no
// modifier, so they come through typedKey.
var (
	shortcutNew    = &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutProps  = &desktop.CustomShortcut{KeyName: fyne.KeyReturn, Modifier: fyne.KeyModifierAlt}
	shortcutImport = &desktop.CustomShortcut{KeyName: fyne.KeyI, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutCycle  = &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: fyne.KeyModifierShortcutDefault}
	shortcutQuit   = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault}
	// Shown in the menus only: typedKey does the work.
	shortcutRefresh = &desktop.CustomShortcut{KeyName: fyne.KeyF5}
	shortcutDelete  = &desktop.CustomShortcut{KeyName: fyne.KeyDelete}
)

// addShortcuts registers the main window's keys on its canvas.
func (a *Admin) addShortcuts() {
	c := a.win.Canvas()
	for _, s := range []struct {
		sc *desktop.CustomShortcut
		fn func()
	}{
		{shortcutNew, a.onNew},
		{shortcutProps, a.onProperties},
		{shortcutImport, a.onImport},
		{shortcutCycle, a.onRunCycle},
		{shortcutQuit, a.onExit},
	} {
		fn := s.fn
		c.AddShortcut(s.sc, func(fyne.Shortcut) { fn() })
	}
	c.SetOnTypedKey(func(e *fyne.KeyEvent) { a.typedKey(e) })
}

// typedKey does what F5 and Delete mean in the Administrator, and says
// whether the key was one of them.
func (a *Admin) typedKey(e *fyne.KeyEvent) bool {
	switch e.Name {
	case fyne.KeyF5:
		a.onRefresh()
	case fyne.KeyDelete:
		a.onDelete()
	default:
		return false
	}
	return true
}

// touch makes the inner window with the title the active one, as a click
// into a desktop window does: File → Properties, Delete and the toolbar then
// act on what the user just selected there, not on the window last raised.
func (a *Admin) touch(title string) {
	w := a.find(title)
	if w == nil || a.active() == w {
		return
	}
	a.raise(w)
}

// keyList is a widget.List that hands the Administrator's keys to it first:
// a tapped row takes the keyboard focus, and a plain List swallows Delete
// and F5.
type keyList struct {
	widget.List
	onKey func(*fyne.KeyEvent) bool
}

// TypedKey gives the key to the Administrator, then to the list.
func (l *keyList) TypedKey(e *fyne.KeyEvent) {
	if l.onKey != nil && l.onKey(e) {
		return
	}
	l.List.TypedKey(e)
}

// keyTree is keyList for the Sites tree.
type keyTree struct {
	widget.Tree
	onKey func(*fyne.KeyEvent) bool
}

// TypedKey gives the key to the Administrator, then to the tree.
func (t *keyTree) TypedKey(e *fyne.KeyEvent) {
	if t.onKey != nil && t.onKey(e) {
		return
	}
	t.Tree.TypedKey(e)
}
