//go:build !windows

package adminapi_test

import (
	"strings"
	"testing"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/storage/sambatest"
)

// A package's source password crosses the socket (model.Secret would send
// a mask): attached, AddPackage connects to the share with it and stores
// it; an answer carries only the mask; an update that sends the mask back
// keeps the stored password, and a wrong one is refused with a sentence.
func TestSourcePasswordCrossesTheSocket(t *testing.T) {
	r := newRig(t)
	smb := sambatest.Start(t, sambatest.Options{Shares: []string{"SRC"}})
	cred := smb.Credentials()
	if _, err := r.client.AddSite(bg, admin.SiteRequest{Code: "S01", Name: "Head Office", Share: `\\siteserver\SMS_S01`}); err != nil {
		t.Fatal(err)
	}
	loc := smb.Location("SRC")
	p := model.Package{Name: "Tools", Version: "1", Source: loc.String(), SourceCredentials: model.Credentials{Password: cred.Password}}
	got, err := r.client.AddPackage(bg, p)
	if err != nil {
		t.Fatalf("AddPackage attached: %v", err)
	}
	if got.SourceCredentials.User != cred.User || got.SourceCredentials.Password.IsZero() || got.SourceCredentials.Password.Reveal() != "" {
		t.Errorf("answer's source login %q, password set %v, revealed %q", got.SourceCredentials.User, !got.SourceCredentials.Password.IsZero(), got.SourceCredentials.Password.Reveal())
	}
	stored, err := r.local.GetPackage(bg, got.ID)
	if err != nil || stored.SourceCredentials.Password.Reveal() != cred.Password.Reveal() {
		t.Fatalf("stored source password does not match (%v)", err)
	}

	got.Comment = "edited attached"
	if _, err := r.client.UpdatePackage(bg, got); err != nil {
		t.Fatalf("UpdatePackage with the mask: %v", err)
	}
	if stored, _ = r.local.GetPackage(bg, got.ID); stored.SourceCredentials.Password.Reveal() != cred.Password.Reveal() || stored.Comment != "edited attached" {
		t.Error("an update that sent the mask back lost the stored password")
	}

	got.SourceCredentials.Password = model.NewSecret("Wrong-Pw-77")
	_, err = r.client.UpdatePackage(bg, got)
	if admin.KindOf(err) != admin.KindInvalid || !strings.Contains(err.Error(), "refused the login") || strings.Contains(err.Error(), "Wrong-Pw-77") {
		t.Errorf("a wrong password: %v", err)
	}

	// CheckSource, attached: the stored password kept, a wrong one refused,
	// nothing stored either way.
	msg, err := r.client.CheckSource(bg, admin.SourceRequest{Package: got.ID, Source: got.Source,
		Credentials: admin.Credentials{User: cred.User, KeepPassword: true}})
	if err != nil || !strings.HasPrefix(msg, "Connected to "+got.Source+" as "+cred.User) {
		t.Errorf("CheckSource with the stored password: %q, %v", msg, err)
	}
	_, err = r.client.CheckSource(bg, admin.SourceRequest{Source: got.Source, Credentials: admin.Credentials{User: cred.User, Password: "Wrong-Pw-77"}})
	if admin.KindOf(err) != admin.KindInvalid || !strings.Contains(err.Error(), "refused the login") || strings.Contains(err.Error(), "Wrong-Pw-77") {
		t.Errorf("CheckSource with a wrong password: %v", err)
	}
	if ps, _ := r.local.ListPackages(bg); len(ps) != 1 {
		t.Errorf("%d packages after CheckSource, want 1", len(ps))
	}
}
