package pcm

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"opensms/core/model"
	"opensms/core/protocol"
)

// enrolDialog enrols the computer in two steps: the form reads the site
// share's site.json (Probe), then the confirmation shows the site and its key
// fingerprint, and only Trust pins the key (Enroll).
type enrolDialog struct {
	m *mainWindow
	d *dialog.CustomDialog

	share, user, password, computer *widget.Entry
	formMsg                         *widget.Label
	connect, cancel                 *widget.Button
	form                            *fyne.Container

	siteName, siteCode, fingerprint *widget.Label
	confirmMsg                      *widget.Label
	trust, back                     *widget.Button
	confirm                         *fyne.Container

	// What the confirmation is about, set by a successful Probe.
	probed enrolRequest
}

type enrolRequest struct {
	share, computer string
	cred            model.Credentials
	site            protocol.SiteInfo
	fingerprint     string
}

func newEnrolDialog(m *mainWindow) *enrolDialog {
	return &enrolDialog{m: m}
}

func (e *enrolDialog) buildUI() {
	e.share = &widget.Entry{PlaceHolder: `\\server\SMS_SITE or smb://server/SMS_SITE`, Validator: validateShare}
	e.share.ExtendBaseWidget(e.share)
	e.user = &widget.Entry{PlaceHolder: `user or DOMAIN\user`}
	e.user.ExtendBaseWidget(e.user)
	e.password = widget.NewPasswordEntry()
	e.computer = &widget.Entry{Text: e.m.p.cfg.Computer, Validator: validateComputer}
	e.computer.ExtendBaseWidget(e.computer)
	for _, en := range []*widget.Entry{e.share, e.user, e.password, e.computer} {
		en.OnSubmitted = func(string) { e.onSubmit() }
	}
	e.formMsg = &widget.Label{Wrapping: fyne.TextWrapWord}
	e.connect = &widget.Button{Text: "Connect", Icon: theme.NavigateNextIcon(), Importance: widget.HighImportance, OnTapped: e.onConnect}
	e.cancel = &widget.Button{Text: "Cancel", Icon: theme.CancelIcon(), OnTapped: e.onCancel}
	e.form = container.NewVBox(
		&widget.Label{Text: "Enter the site share your administrator gave you and an account that may read it.", Wrapping: fyne.TextWrapWord},
		&widget.Form{Items: []*widget.FormItem{
			{Text: "Site share", Widget: e.share},
			{Text: "User", Widget: e.user},
			{Text: "Password", Widget: e.password},
			{Text: "Computer name", Widget: e.computer},
		}},
		e.formMsg,
		container.NewHBox(layout.NewSpacer(), e.cancel, e.connect),
	)

	e.siteName = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	e.siteCode = &widget.Label{TextStyle: fyne.TextStyle{Bold: true}}
	e.fingerprint = &widget.Label{TextStyle: fyne.TextStyle{Monospace: true}, Wrapping: fyne.TextWrapBreak, Selectable: true}
	e.confirmMsg = &widget.Label{Wrapping: fyne.TextWrapWord}
	e.trust = &widget.Button{Text: "Trust", Icon: theme.ConfirmIcon(), Importance: widget.HighImportance, OnTapped: e.onTrust}
	e.back = &widget.Button{Text: "Cancel", Icon: theme.CancelIcon(), OnTapped: e.onBack}
	e.confirm = container.NewVBox(
		&widget.Label{Text: "Is this the site you expect? Compare the key fingerprint with the one your administrator gave you. Trust it only if they match: this computer will then run what the site offers.", Wrapping: fyne.TextWrapWord},
		container.New(layout.NewFormLayout(),
			&widget.Label{Text: "Site"}, e.siteName,
			&widget.Label{Text: "Code"}, e.siteCode,
			&widget.Label{Text: "Key fingerprint"}, e.fingerprint,
		),
		e.confirmMsg,
		container.NewHBox(layout.NewSpacer(), e.back, e.trust),
	)
	e.confirm.Hide()

	e.d = dialog.NewCustomWithoutButtons("Enrol this computer", container.NewStack(e.form, e.confirm), e.m.win)
	e.d.Resize(fyne.NewSize(600, 380))
}

func validateShare(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("give the site share")
	}
	_, err := model.ParseLocation(s)
	return err
}

func validateComputer(s string) error {
	return model.ValidComputerName(strings.TrimSpace(s))
}

// show opens the form, keeping what was typed before.
func (e *enrolDialog) show() {
	if e.d == nil {
		e.buildUI()
	}
	e.showForm("")
	e.d.Show()
}

func (e *enrolDialog) showForm(msg string) {
	e.confirm.Hide()
	e.form.Show()
	e.setFormMsg(msg)
	e.connect.Enable()
	e.cancel.Enable()
	e.probed = enrolRequest{}
}

func (e *enrolDialog) setFormMsg(msg string) {
	e.formMsg.Importance = widget.MediumImportance
	if msg != "" && !strings.HasSuffix(msg, "…") {
		e.formMsg.Importance = widget.DangerImportance
	}
	e.formMsg.SetText(msg)
}

func (e *enrolDialog) onCancel() {
	e.d.Hide()
}

// credentials splits "DOMAIN\user" the way Windows users type it.
func (e *enrolDialog) credentials() model.Credentials {
	c := model.Credentials{User: strings.TrimSpace(e.user.Text), Password: model.NewSecret(e.password.Text)}
	if d, u, ok := strings.Cut(c.User, `\`); ok {
		c.Domain, c.User = d, u
	}
	return c
}

// onSubmit is Enter in a field: Connect, unless a probe is under way.
func (e *enrolDialog) onSubmit() {
	if e.form.Visible() && !e.connect.Disabled() {
		e.onConnect()
	}
}

func (e *enrolDialog) onConnect() {
	for _, f := range []struct {
		name string
		err  error
	}{{"Site share", validateShare(e.share.Text)}, {"Computer name", validateComputer(e.computer.Text)}} {
		if f.err != nil {
			e.setFormMsg(sentence(f.name, f.err))
			return
		}
	}
	req := enrolRequest{share: strings.TrimSpace(e.share.Text), computer: strings.TrimSpace(e.computer.Text), cred: e.credentials()}
	e.connect.Disable()
	e.setFormMsg(fmt.Sprintf("Reading %s…", req.share))
	e.m.p.goWork(func(ctx context.Context) {
		info, fp, err := e.m.p.engine.Probe(ctx, req.share, req.cred)
		e.m.p.ui(func() {
			if err != nil {
				e.showForm(shareSentence(req.share, req.cred.User, err))
				return
			}
			req.site, req.fingerprint = info, fp
			e.showConfirm(req)
		})
	})
}

func (e *enrolDialog) showConfirm(req enrolRequest) {
	e.probed = req
	e.siteName.SetText(req.site.Name)
	e.siteCode.SetText(req.site.Code)
	e.fingerprint.SetText(req.fingerprint)
	e.confirmMsg.Importance = widget.MediumImportance
	e.confirmMsg.SetText("")
	e.trust.Enable()
	e.back.Enable()
	e.form.Hide()
	e.confirm.Show()
}

// onBack leaves the confirmation without trusting anything.
func (e *enrolDialog) onBack() {
	e.showForm("Nothing was trusted.")
	e.formMsg.Importance = widget.MediumImportance
	e.formMsg.Refresh()
}

func (e *enrolDialog) onTrust() {
	req := e.probed
	e.trust.Disable()
	e.back.Disable()
	e.confirmMsg.Importance = widget.MediumImportance
	e.confirmMsg.SetText("Enrolling…")
	e.m.p.goWork(func(ctx context.Context) {
		en, err := e.m.p.engine.Enroll(ctx, req.share, req.cred, req.computer, req.fingerprint)
		e.m.p.ui(func() {
			if err != nil {
				e.trust.Enable()
				e.back.Enable()
				e.confirmMsg.Importance = widget.DangerImportance
				e.confirmMsg.SetText(sentence("could not enrol", err))
				return
			}
			e.password.SetText("") // nothing keeps the password once it is used
			e.d.Hide()
			e.m.onEnrolled(en)
		})
	})
}
