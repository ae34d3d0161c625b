package admin

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// SetVersion gives the build's version (the Makefile stamps it; "dev" from
// go run) for Help → About. Call it before the window shows.
func (a *Admin) SetVersion(v string) { a.version = v }

// onAbout says which build this is and where the site lives: what a
// support question asks first.
func (a *Admin) onAbout() {
	v := a.version
	if v == "" {
		v = "dev"
	}
	text := &widget.Label{Text: "OpenSMS Administrator, version " + v + "\n" + a.where.text(), Selectable: true}
	d := dialog.NewCustom("About OpenSMS Administrator", "Close", text, a.win)
	d.Resize(fyne.NewSize(480, 160))
	d.Show()
}
