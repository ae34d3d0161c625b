package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
	"opensms/core/share"
)

// changed re-reads the windows that show sites, computers and groups.
func (a *Admin) changed() {
	if a.sites != nil {
		a.sites.reload()
	}
	if a.groups != nil {
		a.groups.reload()
	}
}

// formDialog is a dialog with a form, an error line, Cancel and OK; OK runs
// save, which reports back through done.
type formDialog struct {
	adm     *Admin
	title   string
	errText *widget.Label
	ok      *widget.Button
	dlg     *dialog.CustomDialog
}

func (f *formDialog) open(content fyne.CanvasObject, size fyne.Size, onOK func()) {
	f.errText = errorLabel()
	f.ok = &widget.Button{Text: "OK", Importance: widget.HighImportance, OnTapped: onOK}
	f.dlg = dialog.NewCustomWithoutButtons(f.title, container.NewVBox(content, f.errText), f.adm.win)
	f.dlg.SetButtons([]fyne.CanvasObject{&widget.Button{Text: "Cancel", OnTapped: func() { f.dlg.Hide() }}, f.ok})
	f.dlg.Resize(size)
	f.dlg.Show()
}

// store runs put off the UI goroutine; on success the dialog closes and the
// site windows reload, on failure the sentence stays in the dialog.
func (f *formDialog) store(what string, put func(context.Context) error) {
	f.ok.Disable()
	background(f.adm, f.adm.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, put(ctx)
	}, func(_ struct{}, err error) {
		f.ok.Enable()
		if err != nil {
			f.errText.SetText(fmt.Sprintf("saving %s: %v", what, err))
			return
		}
		f.dlg.Hide()
		f.adm.status.setMessage("Saved " + what + ".")
		f.adm.changed()
	})
}

// siteDialog adds or edits a site.
type siteDialog struct {
	formDialog
	site  model.Site
	isNew bool

	code, name, share, user, password *widget.Entry
	parent                            *widget.Select
}

func newSiteDialog(a *Admin, s model.Site, isNew bool) *siteDialog {
	title := "Site Properties"
	if isNew {
		title = "New Site"
	}
	return &siteDialog{formDialog: formDialog{adm: a, title: title}, site: s, isNew: isNew}
}

func (d *siteDialog) show() {
	d.code = &widget.Entry{Text: d.site.Code, PlaceHolder: "S02"}
	if !d.isNew {
		d.code.Disable()
	}
	d.name = &widget.Entry{Text: d.site.Name, PlaceHolder: "Branch Office"}
	opts := []string{"(none)"}
	if d.adm.sites != nil {
		for code := range d.adm.sites.data.sites {
			if code != d.site.Code {
				opts = append(opts, code)
			}
		}
	}
	sortStrings(opts[1:])
	d.parent = &widget.Select{Options: opts, Selected: "(none)"}
	if d.site.Parent != "" {
		d.parent.Selected = d.site.Parent
	}
	share := d.site.Share
	if share != "" {
		share = displayLocation(share)
	}
	d.share = &widget.Entry{Text: share, PlaceHolder: `\\siteserver\SMS_SITE or smb://host/share or /srv/opensms/site`}
	d.user = &widget.Entry{Text: d.site.Credentials.User}
	if d.site.Credentials.Domain != "" {
		d.user.Text = d.site.Credentials.Domain + `\` + d.user.Text
	}
	d.password = widget.NewPasswordEntry()
	d.password.SetText(d.site.Credentials.Password.Reveal())
	d.open(widget.NewForm(
		widget.NewFormItem("Site code", d.code),
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Parent site", d.parent),
		widget.NewFormItem("Site share", d.share),
		widget.NewFormItem("User", d.user),
		widget.NewFormItem("Password", d.password),
	), fyne.NewSize(560, 360), d.onOK)
}

func (d *siteDialog) onOK() {
	s := d.site
	s.Code = strings.ToUpper(strings.TrimSpace(d.code.Text))
	s.Name = strings.TrimSpace(d.name.Text)
	s.Parent = ""
	if d.parent.Selected != "(none)" {
		s.Parent = d.parent.Selected
	}
	loc, cred, err := locationAndCredentials("site share", d.share.Text, d.user.Text, d.password.Text)
	if err != nil {
		d.errText.SetText(err.Error())
		return
	}
	s.Share, s.Credentials = loc, cred
	if s.Created.IsZero() {
		s.Created = time.Now()
	}
	if err := s.Validate(); err != nil {
		d.errText.SetText(err.Error())
		return
	}
	if d.isNew && d.adm.sites != nil {
		if _, dup := d.adm.sites.data.sites[s.Code]; dup {
			d.errText.SetText(fmt.Sprintf("site code %q is already used", s.Code))
			return
		}
	}
	d.store("site "+s.Code, func(ctx context.Context) error { return d.adm.st.PutSite(ctx, s) })
}

// locationAndCredentials reads a share as typed (UNC, smb:// or a local
// folder) and the user as DOMAIN\user or user; a user in an smb:// URL is
// used when the User field is empty. It returns the canonical location.
func locationAndCredentials(field, location, user, password string) (string, model.Credentials, error) {
	var cred model.Credentials
	l, err := model.ParseLocation(location)
	if err != nil {
		return "", cred, fmt.Errorf("%s: %w", field, err)
	}
	user = strings.TrimSpace(user)
	if user == "" {
		user = l.User
		cred.Domain = l.Domain
	}
	if dom, u, ok := strings.Cut(user, `\`); ok {
		cred.Domain, user = dom, u
	}
	cred.User = user
	cred.Password = model.NewSecret(password)
	l.User, l.Domain = "", ""
	return l.String(), cred, nil
}

// serverDialog adds or edits a distribution server, and tests the
// connection off the UI goroutine.
type serverDialog struct {
	formDialog
	srv   model.Server
	isNew bool

	site                      *widget.Select
	name, url, user, password *widget.Entry
	isDefault, signing        *widget.Check
	test                      *widget.Button
	result                    *widget.Label
	testing                   context.CancelFunc
}

func newServerDialog(a *Admin, s model.Server, isNew bool) *serverDialog {
	title := "Distribution Server Properties"
	if isNew {
		title = "New Distribution Server"
	}
	return &serverDialog{formDialog: formDialog{adm: a, title: title}, srv: s, isNew: isNew}
}

func (d *serverDialog) show() {
	var codes []string
	if d.adm.sites != nil {
		for code := range d.adm.sites.data.sites {
			codes = append(codes, code)
		}
	}
	sortStrings(codes)
	d.site = &widget.Select{Options: codes, Selected: d.srv.Site}
	if !d.isNew {
		d.site.Disable()
	}
	d.name = &widget.Entry{Text: d.srv.Name, PlaceHolder: "dist1"}
	if !d.isNew {
		d.name.Disable()
	}
	u := d.srv.URL
	if u != "" {
		u = displayLocation(u)
	}
	d.url = &widget.Entry{Text: u, PlaceHolder: `\\dist1\SMS_PKG or smb://dist1/SMS_PKG`}
	d.user = &widget.Entry{Text: d.srv.Credentials.User}
	if d.srv.Credentials.Domain != "" {
		d.user.Text = d.srv.Credentials.Domain + `\` + d.user.Text
	}
	d.password = widget.NewPasswordEntry()
	d.password.SetText(d.srv.Credentials.Password.Reveal())
	d.isDefault = &widget.Check{Text: "Default server (jobs put packages here unless told otherwise)", Checked: d.srv.Default || d.isNew}
	d.signing = &widget.Check{Text: "Require SMB signing", Checked: d.srv.RequireSigning}
	d.result = &widget.Label{Wrapping: fyne.TextWrapWord}
	d.test = &widget.Button{Text: "Test connection", OnTapped: d.onTest}
	d.open(container.NewVBox(widget.NewForm(
		widget.NewFormItem("Site", d.site),
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Share", d.url),
		widget.NewFormItem("User", d.user),
		widget.NewFormItem("Password", d.password),
		widget.NewFormItem("", d.isDefault),
		widget.NewFormItem("", d.signing),
	), container.NewBorder(nil, nil, d.test, nil, d.result)), fyne.NewSize(600, 440), d.onOK)
	d.dlg.SetOnClosed(func() {
		if d.testing != nil {
			d.testing()
		}
	})
}

func (d *serverDialog) collect() (model.Server, error) {
	s := d.srv
	s.Site = d.site.Selected
	s.Name = strings.TrimSpace(d.name.Text)
	loc, cred, err := locationAndCredentials("server share", d.url.Text, d.user.Text, d.password.Text)
	if err != nil {
		return s, err
	}
	s.URL, s.Credentials = loc, cred
	s.Default = d.isDefault.Checked
	s.RequireSigning = d.signing.Checked
	return s, s.Validate()
}

func (d *serverDialog) onOK() {
	s, err := d.collect()
	if err != nil {
		d.errText.SetText(err.Error())
		return
	}
	d.store("distribution server "+s.Name, func(ctx context.Context) error { return d.adm.st.PutServer(ctx, s) })
}

// testTimeout bounds Test connection: a server that does not answer in this
// time is reported as unreachable.
const testTimeout = 15 * time.Second

// onTest connects to the share, lists it and writes and removes a small
// file, off the UI goroutine, and says in one sentence what works or fails.
func (d *serverDialog) onTest() {
	s, err := d.collect()
	if err != nil {
		d.result.Importance = widget.DangerImportance
		d.result.SetText(err.Error())
		return
	}
	if d.adm.opener == nil {
		d.result.SetText("No share opener is configured, so the connection cannot be tested.")
		return
	}
	ctx, cancel := context.WithTimeout(d.adm.ctx, testTimeout)
	d.testing = cancel
	d.test.Disable()
	d.result.Importance = widget.MediumImportance
	d.result.SetText("Connecting to " + displayLocation(s.URL) + "…")
	background(d.adm, d.adm.ctx, func(context.Context) (string, error) {
		defer cancel()
		return testShare(ctx, d.adm.opener, s)
	}, func(msg string, err error) {
		d.test.Enable()
		if err != nil {
			d.result.Importance = widget.DangerImportance
			d.result.SetText(sentence(err.Error()))
			return
		}
		d.result.Importance = widget.SuccessImportance
		d.result.SetText(msg)
	})
}

// testShare is Test connection's work: one sentence on success, one on
// failure. It never prints the password.
func testShare(ctx context.Context, opener share.Opener, s model.Server) (string, error) {
	loc, err := model.ParseLocation(s.URL)
	if err != nil {
		return "", err
	}
	where := loc.UNC()
	as := ""
	if s.Credentials.User != "" {
		as = " as " + s.Credentials.User
	}
	fsys, err := opener.Open(ctx, loc, s.Credentials)
	if err != nil {
		return "", explainShareError(loc, as, err)
	}
	defer fsys.Close()
	entries, err := fsys.ReadDir(".")
	if err != nil {
		return "", explainShareError(loc, as, err)
	}
	probe := fmt.Sprintf(".opensms-test-%d", time.Now().UnixNano())
	f, err := fsys.OpenFile(probe, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return "", fmt.Errorf("connected to %s%s and read it (%d entries), but cannot write there: %v", where, as, len(entries), err)
	}
	_, werr := f.Write([]byte("opensms"))
	f.Close()
	rerr := fsys.Remove(probe)
	if werr != nil || rerr != nil {
		return "", fmt.Errorf("connected to %s%s, but writing a test file failed: %v", where, as, errors.Join(werr, rerr))
	}
	return fmt.Sprintf("Connected to %s%s: the share holds %d entries and can be written to.", where, as, len(entries)), nil
}

func explainShareError(loc model.Location, as string, err error) error {
	where := loc.UNC()
	switch {
	case loc.IsLocal() && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, share.ErrNoShare)):
		return fmt.Errorf("the folder %s does not exist", where)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer within %s", where, testTimeout)
	case errors.Is(err, share.ErrLogon) && as == "":
		return fmt.Errorf("%s needs a user name: OpenSMS cannot log on to SMB shares anonymously", where)
	case errors.Is(err, share.ErrLogon):
		return fmt.Errorf("%s refused the login%s: check the user name and password (%v)", where, as, rootCause(err))
	case errors.Is(err, share.ErrNoShare), errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the server answered, but the share or folder %s does not exist", where)
	case errors.Is(err, share.ErrUnreachable):
		return fmt.Errorf("nothing answers at %s: the server is off, the port is wrong or a firewall is in the way (%v)", loc.Addr(), rootCause(err))
	}
	return fmt.Errorf("connecting to %s%s failed: %v", where, as, err)
}

// computerDialog adds or edits a computer.
type computerDialog struct {
	formDialog
	comp  model.Computer
	isNew bool

	name     *widget.Entry
	site     *widget.Select
	platform *widget.Select
}

func newComputerDialog(a *Admin, c model.Computer, isNew bool) *computerDialog {
	title := "Computer Properties"
	if isNew {
		title = "New Computer"
	}
	return &computerDialog{formDialog: formDialog{adm: a, title: title}, comp: c, isNew: isNew}
}

func (d *computerDialog) show() {
	var codes []string
	if d.adm.sites != nil {
		for code := range d.adm.sites.data.sites {
			codes = append(codes, code)
		}
	}
	sortStrings(codes)
	d.name = &widget.Entry{Text: d.comp.Name, PlaceHolder: "PC0001"}
	if !d.isNew {
		d.name.Disable()
	}
	d.site = &widget.Select{Options: codes, Selected: d.comp.Site}
	plats := []string{"(unknown)"}
	for _, p := range model.Platforms {
		plats = append(plats, string(p))
	}
	d.platform = &widget.Select{Options: plats, Selected: "(unknown)"}
	if d.comp.Platform != "" {
		d.platform.Selected = string(d.comp.Platform)
	}
	items := []*widget.FormItem{
		widget.NewFormItem("Name", d.name),
		widget.NewFormItem("Site", d.site),
		widget.NewFormItem("Platform", d.platform),
	}
	if !d.comp.LastSeen.IsZero() {
		items = append(items, widget.NewFormItem("Last seen", widget.NewLabel(d.comp.LastSeen.Local().Format(timeLayout))))
	}
	if inv := d.comp.Inventory; inv != nil {
		items = append(items, widget.NewFormItem("Inventory", widget.NewLabel(fmt.Sprintf("%s %s/%s, client %s", inv.OSVersion, inv.OS, inv.Arch, inv.ClientVersion))))
	}
	d.open(widget.NewForm(items...), fyne.NewSize(460, 280), d.onOK)
}

func (d *computerDialog) onOK() {
	c := d.comp
	c.Name = model.NormalizeComputerName(d.name.Text)
	c.Site = d.site.Selected
	c.Platform = ""
	if d.platform.Selected != "(unknown)" {
		c.Platform = model.Platform(d.platform.Selected)
	}
	if err := c.Validate(); err != nil {
		d.errText.SetText(err.Error())
		return
	}
	d.store("computer "+c.Name, func(ctx context.Context) error {
		if d.isNew {
			if _, err := d.adm.st.GetComputer(ctx, c.Name); err == nil {
				return fmt.Errorf("computer %s already exists", c.Name)
			}
		}
		return d.adm.st.PutComputers(ctx, c)
	})
}

// rootCause is the innermost error: the wrapping layers repeat the location
// the sentence already names.
func rootCause(err error) error {
	for {
		var next error
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			next = e.Unwrap()
		case interface{ Unwrap() []error }:
			if es := e.Unwrap(); len(es) > 0 {
				next = es[len(es)-1] // the cause follows the sentinel
			}
		}
		if next == nil {
			return err
		}
		err = next
	}
}
