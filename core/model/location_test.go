package model

import (
	"net/url"
	"strings"
	"testing"
)

var locationCases = []struct {
	in   string
	want Location
	str  string // canonical form; "" when in is refused
	err  string
}{
	{in: `\\dist1\SMS_PKG`, want: Location{Scheme: "smb", Host: "dist1", Share: "SMS_PKG"}, str: "smb://dist1/SMS_PKG"},
	{in: `\\dist1\SMS_PKG\apps\7zip\`, want: Location{Scheme: "smb", Host: "dist1", Share: "SMS_PKG", Path: "apps/7zip"}, str: "smb://dist1/SMS_PKG/apps/7zip"},
	{in: `//dist1:1445/pkg/a/./b`, want: Location{Scheme: "smb", Host: "dist1", Port: 1445, Share: "pkg", Path: "a/b"}, str: "smb://dist1:1445/pkg/a/b"},
	{in: `\\dist1:445\pkg`, want: Location{Scheme: "smb", Host: "dist1", Share: "pkg"}, str: "smb://dist1/pkg"},
	{in: `\\[fe80::1]:1445\pkg`, want: Location{Scheme: "smb", Host: "fe80::1", Port: 1445, Share: "pkg"}, str: "smb://[fe80::1]:1445/pkg"},
	{in: `\\[::1]\pkg`, want: Location{Scheme: "smb", Host: "::1", Share: "pkg"}, str: "smb://[::1]/pkg"},
	{in: "smb://LAB;sms@dist1/SMS PKG/My Apps", want: Location{Scheme: "smb", Domain: "LAB", User: "sms", Host: "dist1", Share: "SMS PKG", Path: "My Apps"}, str: "smb://LAB;sms@dist1/SMS%20PKG/My%20Apps"},
	{in: "SMB://sms@127.0.0.1:4450/share", want: Location{Scheme: "smb", User: "sms", Host: "127.0.0.1", Port: 4450, Share: "share"}, str: "smb://sms@127.0.0.1:4450/share"},
	{in: "smb://dist1/pkg/%C3%A9t%C3%A9", want: Location{Scheme: "smb", Host: "dist1", Share: "pkg", Path: "été"}, str: "smb://dist1/pkg/%C3%A9t%C3%A9"},
	{in: "smb://dist1/100%25", want: Location{Scheme: "smb", Host: "dist1", Share: "100%"}, str: "smb://dist1/100%25"},
	{in: "file:///srv/opensms/dist", want: Location{Scheme: "file", Path: "/srv/opensms/dist"}, str: "file:///srv/opensms/dist"},
	{in: " /srv/opensms/../site/ ", want: Location{Scheme: "file", Path: "/srv/site"}, str: "file:///srv/site"},
	{in: "///srv//x", want: Location{Scheme: "file", Path: "/srv/x"}, str: "file:///srv/x"},
	{in: "/", want: Location{Scheme: "file", Path: "/"}, str: "file:///"},

	{in: "", err: "location is empty"},
	{in: "   ", err: "location is empty"},
	{in: "dist1/pkg", err: `location "dist1/pkg" is not \\host\share\folder`},
	{in: `C:\pkgs`, err: "is not"},
	{in: "http://dist1/pkg", err: "is not"},
	{in: `\\dist1`, err: "needs a host and a share"},
	{in: `\\\pkg`, err: "needs a host and a share"},
	{in: `\\h%41\pkg`, err: "has no valid host name"},
	{in: `\\::1\pkg`, err: "has no valid host name"},
	{in: `\\dist1:x\pkg`, err: `has a bad port in "dist1:x"`},
	{in: `\\dist1\pkg\..\etc`, err: "has '..' in its folder"},
	{in: `\\dist1\pk*g`, err: `has share "pk*g", which is empty or holds one of`},
	{in: `\\dist1\pkg\a?b`, err: `has folder name "a?b"`},
	{in: `\\dist 1\pkg`, err: "has no valid host name"},
	{in: "smb://sms:hunter2@dist1/pkg", err: "holds a password: give it separately"},
	{in: "smb://dist1", err: "needs a share"},
	{in: "smb:///pkg", err: "needs a host"},
	{in: "smb://dist1:0/pkg", err: `has port "0", which is not 1 to 65535`},
	{in: "smb://dist1:70000/pkg", err: "which is not 1 to 65535"},
	{in: "smb://dist1/pkg?x=1", err: "take no ?query or #fragment"},
	{in: "smb://a@b@dist1/pkg", err: "has a user or domain with a character that is not allowed"},
	{in: "smb://LAB;@dist1/pkg", err: "has a domain but no user"},
	{in: "file://srv/x", err: "needs an absolute path"},
	{in: "/srv/a\x00b", err: "holds a control character"},
	{in: "/srv/a\tb", err: "holds a control character"},
	{in: "/srv/a /", err: "ends with a space"},
	{in: "/srv/ a/b", want: Location{Scheme: "file", Path: "/srv/ a/b"}, str: "file:///srv/ a/b"},
}

func TestParseLocation(t *testing.T) {
	for _, c := range locationCases {
		l, err := ParseLocation(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseLocation(%q) = %+v, %v; want an error saying %q", c.in, l, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLocation(%q): %v", c.in, err)
			continue
		}
		if l != c.want {
			t.Errorf("ParseLocation(%q) = %+v, want %+v", c.in, l, c.want)
		}
		if got := l.String(); got != c.str {
			t.Errorf("ParseLocation(%q).String() = %q, want %q", c.in, got, c.str)
		}
	}
}

func TestLocationErrorHidesPassword(t *testing.T) {
	_, err := ParseLocation("smb://LAB;sms:hunter2@dist1/pkg")
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("error %v shows the password", err)
	}
}

func TestLocationUNCAndJoin(t *testing.T) {
	l, err := ParseLocation("smb://sms@dist1:1445/pkg/apps")
	if err != nil {
		t.Fatal(err)
	}
	if got := l.UNC(); got != `\\dist1:1445\pkg\apps` {
		t.Errorf("UNC() = %q", got)
	}
	if got := l.Join("S0100012", "x.tzst").String(); got != "smb://sms@dist1:1445/pkg/apps/S0100012/x.tzst" {
		t.Errorf("Join = %q", got)
	}
	if got := l.Addr(); got != "dist1:1445" {
		t.Errorf("Addr() = %q", got)
	}
	local := Location{Scheme: "file", Path: "/srv/d"}
	if got := local.Join("a").Path; got != "/srv/d/a" {
		t.Errorf("local Join = %q", got)
	}
}

// FuzzParseLocation checks that every location ParseLocation accepts prints
// to a form that parses back to the same location, and that the printed
// form never carries a password.
func FuzzParseLocation(f *testing.F) {
	for _, c := range locationCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLocation(s)
		if err != nil {
			return
		}
		str := l.String()
		again, err := ParseLocation(str)
		if err != nil {
			t.Fatalf("ParseLocation(%q) = %+v prints as %q, which does not parse: %v", s, l, str, err)
		}
		if again != l {
			t.Fatalf("ParseLocation(%q) = %+v prints as %q, which parses to %+v", s, l, str, again)
		}
		if l.Scheme == "smb" {
			u, err := url.Parse(str)
			if err != nil {
				t.Fatalf("String() = %q is not a URL: %v", str, err)
			}
			if _, set := u.User.Password(); set {
				t.Fatalf("String() = %q carries a password", str)
			}
		}
		if pw := passwordIn(s); pw != "" && strings.Contains(str, ":"+pw+"@") {
			t.Fatalf("String() = %q carries the password of %q", str, s)
		}
	})
}

// passwordIn returns the password an smb:// URL carries, if any.
func passwordIn(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.User == nil {
		return ""
	}
	pw, _ := u.User.Password()
	return pw
}
