package admin

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	adminapi "opensms/core/admin"
	"opensms/core/model"
)

// connection returns the server dialog's Test connection button and the
// label beside it that gives the answer.
func connection(t *testing.T, d fyne.CanvasObject) (*widget.Button, *widget.Label) {
	t.Helper()
	b := buttonIn(t, d, "Test connection")
	for _, c := range all[*fyne.Container](d) {
		var with bool
		var l *widget.Label
		for _, o := range c.Objects {
			if o == b {
				with = true
			}
			if v, ok := o.(*widget.Label); ok {
				l = v
			}
		}
		if with && l != nil {
			return b, l
		}
	}
	t.Fatal("no answer beside Test connection")
	return nil, nil
}

func TestServerDialogTestsTheConnectionAndStoresTheServer(t *testing.T) {
	a, st := newTestAdmin(t)
	<-a.sites.loaded
	share := t.TempDir()
	var d fyne.CanvasObject
	var testButton *widget.Button
	var result *widget.Label
	a.locked(func() {
		a.sites.newServer()
		d = mustDialog(t, a, "New Distribution Server")
		if site := fieldOf[*widget.Select](t, d, "Site").Selected; site != "S01" {
			t.Errorf("new server's site = %q", site)
		}
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "dist2")
		test.Type(fieldOf[*widget.Entry](t, d, "Share"), filepath.Join(share, "missing"))
		testButton, result = connection(t, d)
		test.Tap(testButton)
	})
	waitFor(t, a, "the answer for a missing folder", func() bool {
		return !testButton.Disabled() && result.Text != "" && !strings.HasPrefix(result.Text, "Connecting")
	})
	a.locked(func() {
		if !strings.Contains(result.Text, "missing") {
			t.Errorf("a missing folder says %q", result.Text)
		}
		t.Logf("missing folder: %s", result.Text)
		fieldOf[*widget.Entry](t, d, "Share").SetText(share)
		test.Tap(testButton)
	})
	waitFor(t, a, "the answer for a good folder", func() bool {
		return strings.HasPrefix(result.Text, "Connected to")
	})
	// A local folder takes no login: the API refuses one, as smsctl does.
	a.locked(func() {
		t.Logf("good folder: %s", result.Text)
		fieldOf[*widget.Entry](t, d, "User").SetText("alice")
		fieldOf[*widget.Entry](t, d, "Password").SetText("s3cret")
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "the login refused", func() bool {
		return shownError(d) == share+" is a local folder, which takes no user or password"
	})
	a.locked(func() {
		if strings.Contains(overlayText(a), "s3cret") {
			t.Error("the dialog shows the password")
		}
		fieldOf[*widget.Entry](t, d, "User").SetText("")
		fieldOf[*widget.Entry](t, d, "Password").SetText("")
		test.Tap(buttonIn(t, d, "OK"))
	})
	waitFor(t, a, "the server in the store", func() bool {
		s, err := st.GetServer(context.Background(), "S01", "dist2")
		return err == nil && s.Default && dialogNamed(a, "New Distribution Server") == nil
	})
	a.locked(func() {
		a.sites.newServer()
		d := mustDialog(t, a, "New Distribution Server")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "bad name!")
		test.Type(fieldOf[*widget.Entry](t, d, "Share"), `\\dist3\SMS_PKG`)
		test.Tap(buttonIn(t, d, "OK"))
	})
	want := model.Server{Site: "S01", Name: "bad name!", URL: "smb://dist3/SMS_PKG", Default: true}.Validate()
	if want == nil {
		t.Fatal("the model takes a bad server name")
	}
	waitFor(t, a, "the model's sentence", func() bool {
		d := dialogNamed(a, "New Distribution Server")
		return d != nil && shownError(d) == want.Error()
	})
	if _, err := st.GetServer(context.Background(), "S01", "bad name!"); err == nil {
		t.Error("a bad server was stored")
	}
}

func TestUnreachableServerSaysSoOnce(t *testing.T) {
	a, _ := newTestAdmin(t)
	<-a.sites.loaded
	var d fyne.CanvasObject
	var testButton *widget.Button
	var result *widget.Label
	a.locked(func() {
		a.sites.newServer()
		d = mustDialog(t, a, "New Distribution Server")
		test.Type(fieldOf[*widget.Entry](t, d, "Name"), "dist9")
		test.Type(fieldOf[*widget.Entry](t, d, "Share"), "smb://127.0.0.1:1/SMS_PKG")
		testButton, result = connection(t, d)
		test.Tap(testButton)
	})
	waitFor(t, a, "the answer without a user", func() bool {
		return !testButton.Disabled() && !strings.HasPrefix(result.Text, "Connecting")
	})
	a.locked(func() {
		if got := result.Text; !strings.Contains(got, "needs a user name") {
			t.Errorf("no user says %q", got)
		}
		fieldOf[*widget.Entry](t, d, "User").SetText("alice")
		test.Tap(testButton)
	})
	waitFor(t, a, "the answer", func() bool { return strings.HasPrefix(result.Text, "Nothing answers") })
	a.locked(func() {
		if got := result.Text; strings.Count(got, "127.0.0.1") != 1 {
			t.Errorf("answer repeats itself: %q", got)
		}
		t.Log(result.Text)
	})
}

// TestEditingASiteKeepsItsPasswordUnlessOneIsTyped: the dialog does not
// show the stored password (a site service does not send it); OK with the
// field empty keeps it, a typed one replaces it.
func TestEditingASiteKeepsItsPasswordUnlessOneIsTyped(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	_, err := a.api.UpdateSite(ctx, adminapi.SiteRequest{Code: "S01", Name: "Head Office", Share: `\\siteserver\SMS_SITE`,
		Credentials: adminapi.Credentials{User: `CORP\smsadmin`, Password: "first-secret"}})
	must(t, err)
	edit := func(name, password string) {
		t.Helper()
		a.locked(a.sites.reload)
		waitFor(t, a, "the site in the tree", func() bool { return a.sites.data.sites["S01"].Credentials.User == "smsadmin" })
		var d fyne.CanvasObject
		a.locked(func() {
			a.sites.tree.Select(nodeID(nodeSite, "S01"))
			a.sites.onProperties()
			d = mustDialog(t, a, "Site Properties")
			pw := fieldOf[*widget.Entry](t, d, "Password")
			if pw.Text != "" || pw.PlaceHolder != "(unchanged)" {
				t.Errorf("the password field holds %q (placeholder %q)", pw.Text, pw.PlaceHolder)
			}
			if u := fieldOf[*widget.Entry](t, d, "User").Text; u != `CORP\smsadmin` {
				t.Errorf("the user shows as %q", u)
			}
			fieldOf[*widget.Entry](t, d, "Name").SetText(name)
			pw.SetText(password)
			test.Tap(buttonIn(t, d, "OK"))
		})
		waitFor(t, a, "the site saved", func() bool { return dialogNamed(a, "Site Properties") == nil || shownError(d) != "" })
		a.locked(func() {
			if e := shownError(d); e != "" {
				t.Fatalf("refused: %s", e)
			}
		})
	}
	edit("Head Office 2", "")
	s, err := st.GetSite(ctx, "S01")
	must(t, err)
	if s.Name != "Head Office 2" || s.Credentials.Domain != "CORP" || s.Credentials.Password.Reveal() != "first-secret" {
		t.Errorf("after an edit without a password: %s, %s\\%s, password kept %v", s.Name, s.Credentials.Domain, s.Credentials.User, s.Credentials.Password.Reveal() == "first-secret")
	}
	edit("Head Office 3", "second-secret")
	s, err = st.GetSite(ctx, "S01")
	must(t, err)
	if s.Name != "Head Office 3" || s.Credentials.Password.Reveal() != "second-secret" {
		t.Errorf("after typing a password: %s, password replaced %v", s.Name, s.Credentials.Password.Reveal() == "second-secret")
	}
}
