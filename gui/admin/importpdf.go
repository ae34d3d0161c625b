package admin

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
)

// onImport is File → Import Package Definition…: choose the file, then the
// source folder (the file does not say where the package's files are), then
// Package Properties opens pre-filled, with what the import could not keep.
func (a *Admin) onImport() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		if r == nil {
			return
		}
		a.importFrom(r, r.URI().Name())
	}, a.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pdf", ".sms", ".PDF", ".SMS"}))
	d.SetConfirmText("Import")
	d.Resize(fyne.NewSize(760, 520))
	d.Show()
}

// importFrom has the API read the file off the UI goroutine and asks for
// the source folder; r is closed.
func (a *Admin) importFrom(r io.ReadCloser, name string) {
	background(a, a.ctx, func(ctx context.Context) (adminapi.Definition, error) {
		defer r.Close()
		data, err := io.ReadAll(r)
		if err != nil {
			return adminapi.Definition{}, fmt.Errorf("reading %s: %w", name, err)
		}
		return a.api.ReadDefinition(ctx, adminapi.DefinitionRequest{Name: name, Data: data})
	}, func(res adminapi.Definition, err error) {
		if err != nil {
			a.showError(err)
			return
		}
		newImportSource(a, res, name).show()
	})
}

// importSource asks where the imported package's files are.
type importSource struct {
	adm    *Admin
	res    adminapi.Definition
	name   string
	source *widget.Entry
	ok     *widget.Button
	dlg    *dialog.CustomDialog
}

func newImportSource(a *Admin, res adminapi.Definition, name string) *importSource {
	return &importSource{adm: a, res: res, name: name}
}

func (s *importSource) show() {
	p := s.res.Package
	s.source = &widget.Entry{PlaceHolder: `/srv/packages/` + strings.ToLower(strings.ReplaceAll(p.Name, " ", "-")) + ` or \\server\share\folder`}
	browse := &widget.Button{Text: "Browse…", OnTapped: func() {
		d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
			if err == nil && u != nil {
				s.source.SetText(filepath.FromSlash(u.Path()))
			}
		}, s.adm.win)
		d.Resize(fyne.NewSize(720, 480))
		d.Show()
	}}
	s.ok = &widget.Button{Text: "Next", Importance: widget.HighImportance, OnTapped: s.onOK}
	intro := &widget.Label{
		Text:     fmt.Sprintf("%s defines %s with %d command line(s). The file does not say where the package's files are: choose its source folder.", s.name, p.Title(), len(p.Commands)),
		Wrapping: fyne.TextWrapWord,
	}
	s.dlg = dialog.NewCustomWithoutButtons("Import Package Definition", container.NewVBox(intro,
		widget.NewForm(widget.NewFormItem("Source folder", container.NewBorder(nil, nil, nil, browse, s.source)))), s.adm.win)
	s.dlg.SetButtons([]fyne.CanvasObject{&widget.Button{Text: "Cancel", OnTapped: func() { s.dlg.Hide() }}, s.ok})
	s.dlg.Resize(fyne.NewSize(600, 240))
	s.dlg.Show()
}

// onOK opens Package Properties; the model checks the source there, with
// the rest of the package.
func (s *importSource) onOK() {
	p := s.res.Package
	p.Source = strings.TrimSpace(s.source.Text)
	s.dlg.Hide()
	pp := newPackageProps(s.adm, p, s.res.Warnings)
	pp.touched = true
	pp.show()
	pp.check()
}
