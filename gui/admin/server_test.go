package admin

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"opensms/storage/shares"
)

func TestServerDialogTestsTheConnectionAndStoresTheServer(t *testing.T) {
	a, st := newTestAdmin(t, nil)
	a.opener = shares.NewOpener()
	<-a.sites.loaded
	share := t.TempDir()
	a.locked(func() {
		a.sites.newServer()
		d := a.serverDlg
		if d.site.Selected != "S01" {
			t.Errorf("new server's site = %q", d.site.Selected)
		}
		test.Type(d.name, "dist2")
		test.Type(d.url, filepath.Join(share, "missing"))
		test.Tap(d.test)
	})
	waitFor(t, a, "the answer for a missing folder", func() bool {
		return a.serverDlg.test.Disabled() == false && a.serverDlg.result.Text != "" && !strings.HasPrefix(a.serverDlg.result.Text, "Connecting")
	})
	a.locked(func() {
		d := a.serverDlg
		if !strings.Contains(d.result.Text, "missing") {
			t.Errorf("a missing folder says %q", d.result.Text)
		}
		t.Logf("missing folder: %s", d.result.Text)
		d.url.SetText(share)
		test.Tap(d.test)
	})
	waitFor(t, a, "the answer for a good folder", func() bool {
		return strings.HasPrefix(a.serverDlg.result.Text, "Connected to")
	})
	a.locked(func() {
		d := a.serverDlg
		t.Logf("good folder: %s", d.result.Text)
		d.user.SetText("alice")
		d.password.SetText("s3cret")
		test.Tap(d.ok)
	})
	waitFor(t, a, "the server in the store", func() bool {
		s, err := st.GetServer(context.Background(), "S01", "dist2")
		return err == nil && s.Credentials.User == "alice" && s.Credentials.Password.Reveal() == "s3cret" && s.Default
	})
	a.locked(func() {
		a.sites.newServer()
		d := a.serverDlg
		test.Type(d.name, "bad name!")
		test.Type(d.url, `\\dist3\SMS_PKG`)
		test.Tap(d.ok)
		s, _ := d.collect()
		if want := s.Validate(); want == nil || d.errText.Text != want.Error() {
			t.Errorf("bad server name says %q, want the model's %v", d.errText.Text, want)
		}
	})
	if _, err := st.GetServer(context.Background(), "S01", "bad name!"); err == nil {
		t.Error("a bad server was stored")
	}
}

func TestUnreachableServerSaysSoOnce(t *testing.T) {
	a, _ := newTestAdmin(t, nil)
	a.opener = shares.NewOpener()
	<-a.sites.loaded
	a.locked(func() {
		a.sites.newServer()
		d := a.serverDlg
		test.Type(d.name, "dist9")
		test.Type(d.url, "smb://127.0.0.1:1/SMS_PKG")
		test.Tap(d.test)
	})
	waitFor(t, a, "the answer without a user", func() bool {
		return !a.serverDlg.test.Disabled() && !strings.HasPrefix(a.serverDlg.result.Text, "Connecting")
	})
	a.locked(func() {
		if got := a.serverDlg.result.Text; !strings.Contains(got, "needs a user name") {
			t.Errorf("no user says %q", got)
		}
		a.serverDlg.user.SetText("alice")
		test.Tap(a.serverDlg.test)
	})
	waitFor(t, a, "the answer", func() bool { return strings.HasPrefix(a.serverDlg.result.Text, "Nothing answers") })
	a.locked(func() {
		if got := a.serverDlg.result.Text; strings.Count(got, "127.0.0.1") != 1 {
			t.Errorf("answer repeats itself: %q", got)
		}
		t.Log(a.serverDlg.result.Text)
	})
}
