package smbfs_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

// encShare adds to a server's options a share "ENC" that requires
// encryption, through an include file: sambatest takes only global lines.
// It returns the share's local folder.
func encShare(t *testing.T, opt *sambatest.Options) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	folder := filepath.Join(dir, "enc")
	if err := os.Mkdir(folder, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "enc.conf")
	body := "[ENC]\n\tpath = " + folder + "\n\tread only = no\n\tvalid users = " + u.Username +
		"\n\tforce user = " + u.Username + "\n\tsmb encrypt = required\n"
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	opt.Global = append(opt.Global, "include = "+conf)
	return folder
}

// sessions is smbstatus's table of the server's current sessions: their
// dialects (SMB2_10, SMB3_11) and their encryption and signing. Under CI a
// missing smbstatus fails the test; elsewhere it skips.
func sessions(t *testing.T, srv *sambatest.Server) string {
	t.Helper()
	if _, err := exec.LookPath("smbstatus"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("smbstatus not found: install samba to run the SMB tests")
		}
		t.Skip("smbstatus not found: install samba to run the SMB tests")
	}
	out, err := exec.Command("smbstatus", "-s", srv.ConfPath(), "-b").CombinedOutput()
	if err != nil {
		t.Fatalf("smbstatus: %v: %s", err, out)
	}
	return string(out)
}

// The default offers every dialect: the server picks SMB 3.1.1, which
// costs no more than 2.1 unsigned, and encrypts where the server asks. A
// pinned SMB 2.1 that the server turns away says why, with no second try.
func TestDialectPolicy(t *testing.T) {
	cases := []struct {
		name   string
		global []string
		share  string
		// pinned210 is what SMB 2.1 pinned gets: nil or a sentinel, and
		// the words the error must hold.
		pinned210 error
		words     string
	}{
		{name: "plain share", share: "DIST1"},
		{name: "share requires encryption: tree connect refused", share: "ENC", pinned210: share.ErrAuth, words: "requires encryption, which needs SMB 3"},
		{name: "server requires encryption: session refused", global: []string{"server smb encrypt = required"}, share: "DIST1", pinned210: share.ErrSecurity, words: "pin SMB 3 or no dialect"},
		{name: "server minimum SMB 3: negotiation refused", global: []string{"server min protocol = SMB3_00"}, share: "DIST1", pinned210: share.ErrSecurity, words: "does not speak SMB 2.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := sambatest.Options{Global: c.global}
			encDir := encShare(t, &opt)
			srv := sambatest.Start(t, opt)
			tp := newTap(t, srv.Location(c.share).Addr())
			loc := srv.Location(c.share)
			loc.Port = tp.port()

			fsys := open(t, srv, loc, smbfs.Options{})
			if err := share.WriteFileAtomic(context.Background(), fsys, "x.txt", []byte("policy")); err != nil {
				t.Fatalf("writing through the policy's connection: %v", err)
			}
			dir := srv.Dir(c.share)
			if c.share == "ENC" {
				dir = encDir
			}
			if b, err := os.ReadFile(filepath.Join(dir, "x.txt")); err != nil || string(b) != "policy" {
				t.Fatalf("on disk: %q, %v", b, err)
			}
			if got := sessions(t, srv); !strings.Contains(got, "SMB3_11") {
				t.Fatalf("sessions:\n%s\nwant SMB3_11", got)
			}
			if conns, _, _, _, _ := tp.counts(); conns != 1 {
				t.Fatalf("%d connections, want 1", conns)
			}
			fsys.Close()

			pinned, err := smbfs.Open(context.Background(), loc, srv.Credentials(), smbfs.Options{Dialect: smbfs.SMB210})
			switch {
			case c.pinned210 == nil && err != nil:
				t.Fatalf("pinned SMB 2.1: %v", err)
			case c.pinned210 != nil && (!errors.Is(err, c.pinned210) || !strings.Contains(err.Error(), c.words) || !share.IsPermanent(err)):
				t.Fatalf("pinned SMB 2.1: %v, want %v saying %q", err, c.pinned210, c.words)
			case errors.Is(err, share.ErrLogon) || strings.Contains(fmt.Sprint(err), "wrong user"):
				t.Fatalf("pinned SMB 2.1: %v: the login was not refused", err)
			}
			t.Logf("pinned SMB 2.1: %v", err)
			if err == nil {
				pinned.Close()
			}
			if conns, _, _, _, _ := tp.counts(); conns != 2 {
				t.Fatalf("%d connections in all, want 2: a pinned dialect gets no second try", conns)
			}
		})
	}
}

// Security asking for signing gets it, and a per-server pin wins.
func TestDialectForSecurity(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	ctx := share.WithSecurity(context.Background(), share.Security{RequireSigning: true})
	fsys, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if got := sessions(t, srv); !strings.Contains(got, "SMB3_11") {
		t.Fatalf("sessions:\n%s\nwant SMB3_11", got)
	}
	pinned, err := smbfs.Open(context.Background(), srv.Location(dist), srv.Credentials(), smbfs.Options{Dialect: smbfs.SMB302})
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	if got := sessions(t, srv); !strings.Contains(got, "SMB3_02") {
		t.Fatalf("sessions:\n%s\nwant SMB3_02 too", got)
	}
	// Encryption needs SMB 3: a pinned SMB 2.1 is refused before dialling.
	ctx = share.WithSecurity(context.Background(), share.Security{RequireEncryption: true})
	if _, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{Dialect: smbfs.SMB210}); !errors.Is(err, share.ErrSecurity) || !strings.Contains(err.Error(), "pin SMB 3") {
		t.Fatalf("encryption with SMB 2.1 pinned: %v", err)
	}
}

// A wrong password is tried once, on one connection: a second try would
// count twice towards the account's lockout.
func TestWrongPasswordTriedOnce(t *testing.T) {
	for _, global := range [][]string{nil, {"server smb encrypt = required"}} {
		opt := sambatest.Options{Global: global}
		encShare(t, &opt)
		srv := sambatest.Start(t, opt)
		for _, name := range []string{dist, "ENC"} {
			tp := newTap(t, srv.Location(name).Addr())
			loc := srv.Location(name)
			loc.Port = tp.port()
			cred := srv.Credentials()
			cred.Password = model.NewSecret("Wr0ng-Passw0rd")
			_, err := smbfs.Open(context.Background(), loc, cred, smbfs.Options{})
			if !errors.Is(err, share.ErrLogon) || !errors.Is(err, share.ErrAuth) {
				t.Fatalf("%v %s: wrong password: %v, want ErrLogon", global, name, err)
			}
			if n, _, _, _, _ := tp.counts(); n != 1 {
				t.Fatalf("%v %s: wrong password: %d connections, want 1", global, name, n)
			}
			f, err := smbfs.Open(context.Background(), loc, srv.Credentials(), smbfs.Options{})
			if err != nil {
				t.Fatalf("%v %s: right password: %v", global, name, err)
			}
			f.Close()
			if n, _, _, _, _ := tp.counts(); n != 2 {
				t.Fatalf("%v %s: %d connections in all, want 2", global, name, n)
			}
		}
	}
}
