package pcm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"opensms/core/share"
)

// TestShareSentenceNamesTheCause feeds the enrolment the errors the SMB
// layer gives (wrapped as storage/smbfs wraps them) and wants the sentence
// a user can act on, with none of go-smb2's internals and no password.
func TestShareSentenceNamesTheCause(t *testing.T) {
	const pw = "QaSecretPw77"
	auth := fmt.Errorf(`connecting to \\127.0.0.1:34619\SITE: logging on to \\127.0.0.1:34619\SITE as opensms: wrong user name or password: %w: %w (response error: The attempted logon is invalid.)`, share.ErrLogon, share.ErrAuth)
	signing := fmt.Errorf(`connecting to \\127.0.0.1:34619\SITE: an answer from the server failed its signature check while signing is required (by the server, or by this server entry's Require signing): the server did not sign it, or something on the way changed it; a server that does not sign must be made to (Samba: server signing = mandatory; Windows: RequireSecuritySignature), or Require signing cleared here: %w`, share.ErrSecurity)
	down := fmt.Errorf(`connecting to \\127.0.0.1:34619\SITE: %w: dial tcp 127.0.0.1:34619: connect: connection refused`, share.ErrUnreachable)
	noShare := fmt.Errorf(`connecting to \\127.0.0.1:34619\NOPE: %w`, share.ErrNoShare)
	other := errors.New("site.json is not signed")
	for _, tc := range []struct {
		name, url, user string
		err             error
		want            string
	}{
		{"refused login", "smb://127.0.0.1:34619/SITE", "opensms", auth, `The site share \\127.0.0.1:34619\SITE refused the login as opensms: check the user name and password.`},
		{"user in the URL", "smb://opensms@127.0.0.1:34619/SITE", "", auth, `The site share \\127.0.0.1:34619\SITE refused the login as opensms: check the user name and password.`},
		{"no user", `\\127.0.0.1\SITE`, "", auth, `The site share \\127.0.0.1\SITE needs a user name and password: enter the account your administrator gave you.`},
		{"server down", "smb://127.0.0.1:34619/SITE", "opensms", down, "Nothing answers at 127.0.0.1:34619: check the server's name, that it is on, and this computer's network."},
		{"no share", "smb://127.0.0.1:34619/NOPE", "opensms", noShare, `The server answered, but there is no site share \\127.0.0.1:34619\NOPE: check its name with your administrator.`},
		{"signing, not the login", "smb://127.0.0.1:34619/SITE", "opensms", signing, `Could not read the site share smb://127.0.0.1:34619/SITE: ` + signing.Error() + "."},
		{"anything else", "smb://127.0.0.1:34619/SITE", "opensms", other, "Could not read the site share smb://127.0.0.1:34619/SITE: site.json is not signed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := shareSentence(tc.url, tc.user, tc.err)
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			if strings.Contains(got, pw) || strings.Count(got, ". ") > 0 {
				t.Errorf("%q is not one sentence without the password", got)
			}
		})
	}
}

// TestRefreshErrorNamesTheSiteServer: with the site server down, the banner
// said "connecting to X: connecting to X: server unreachable: dial tcp …".
func TestRefreshErrorNamesTheSiteServer(t *testing.T) {
	clock := newFakeClock(t0)
	eng := &scriptedEngine{clock: clock, enrolled: &Enrollment{SiteCode: "S01", SiteName: "Head Office", Computer: "PC001", SiteShare: "smb://opensms@127.0.0.1:34619/SITE"},
		offers: []Offer{offer("S0100003", "Tool")}}
	h := newHarness(t, eng, Config{}, clock)
	h.p.Show()
	h.until("the offer", func() bool { return rows(h.m.offerTable) == 1 })
	eng.mu.Lock()
	clock.Advance(time.Minute)
	eng.pollErr = fmt.Errorf(`connecting to \\127.0.0.1:34619\SITE: connecting to \\127.0.0.1:34619\SITE: %w: dial tcp 127.0.0.1:34619: connect: connection refused`, share.ErrUnreachable)
	eng.mu.Unlock()
	h.m.onRefresh()
	h.until("the banner", func() bool { return bannerShown(h.m) })
	want := "Could not refresh the offers: nothing answers at 127.0.0.1:34619: check the server's name, that it is on, and this computer's network."
	if got := h.m.bannerText.Text; got != want {
		t.Errorf("banner %q\nwant   %q", got, want)
	}
	if rows(h.m.offerTable) != 1 {
		t.Error("the last offers went away with the failed refresh")
	}
	if got := h.m.status.Text; !strings.HasPrefix(got, "Refresh failed at ") || !strings.Contains(got, "offers as of") {
		t.Errorf("status line %q calls the old offers fresh", got)
	}
}
