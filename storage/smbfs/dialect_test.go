package smbfs_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
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

// protocols lists the dialects of the server's current sessions as
// smbstatus names them (SMB2_10, SMB3_11), or skips when smbstatus is not
// installed.
func protocols(t *testing.T, srv *sambatest.Server) string {
	t.Helper()
	if _, err := exec.LookPath("smbstatus"); err != nil {
		t.Skip("smbstatus not installed")
	}
	out, err := exec.Command("smbstatus", "-s", srv.ConfPath(), "-b").CombinedOutput()
	if err != nil {
		t.Fatalf("smbstatus: %v: %s", err, out)
	}
	return string(out)
}

// counter is a TCP forwarder in front of a server that counts connections.
type counter struct {
	ln    net.Listener
	conns atomic.Int32
	wg    sync.WaitGroup
}

func newCounter(t *testing.T, target string) *counter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &counter{ln: ln}
	c.wg.Add(1)
	go func() { // owned by the test: ends when Cleanup closes ln
		defer c.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			c.wg.Add(2)
			go func() { defer c.wg.Done(); io.Copy(out, in); out.Close() }()
			go func() { defer c.wg.Done(); io.Copy(in, out); in.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); c.wg.Wait() })
	return c
}

func (c *counter) port() int { return c.ln.Addr().(*net.TCPAddr).Port }

func TestDialectPolicy(t *testing.T) {
	cases := []struct {
		name   string
		global []string
		share  string
		// pinned210 is what SMB 2.1 pinned gets: nil or a sentinel.
		pinned210 error
		// want is the dialect smbstatus shows for the default policy.
		want string
	}{
		{name: "plain share: SMB 2.1", share: "DIST1", want: "SMB2_10"},
		{name: "share requires encryption: tree connect refused, SMB 3", share: "ENC", pinned210: share.ErrAuth, want: "SMB3_11"},
		{name: "server requires encryption: session refused, SMB 3", global: []string{"server smb encrypt = required"}, share: "DIST1", pinned210: share.ErrAuth, want: "SMB3_11"},
		{name: "server minimum SMB 3: negotiation refused", global: []string{"server min protocol = SMB3_00"}, share: "DIST1", pinned210: errAny, want: "SMB3_11"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := sambatest.Options{Global: c.global}
			encDir := encShare(t, &opt)
			srv := sambatest.Start(t, opt)
			loc := srv.Location(c.share)

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
			if got := protocols(t, srv); !strings.Contains(got, c.want) {
				t.Fatalf("sessions:\n%s\nwant %s", got, c.want)
			}
			fsys.Close()

			pinned, err := smbfs.Open(context.Background(), loc, srv.Credentials(), smbfs.Options{Dialect: smbfs.SMB210})
			switch {
			case c.pinned210 == nil && err != nil:
				t.Fatalf("pinned SMB 2.1: %v", err)
			case c.pinned210 == errAny && err == nil, c.pinned210 != nil && c.pinned210 != errAny && !errors.Is(err, c.pinned210):
				t.Fatalf("pinned SMB 2.1: %v, want %v: a pinned dialect gets no second try", err, c.pinned210)
			}
			if err == nil {
				pinned.Close()
			}

		})
	}
}

var errAny = errors.New("any error")

// Security asking for signing gets SMB 3 from the start.
func TestDialectForSecurity(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{Global: []string{"aio read size = 0", "aio write size = 0"}})
	ctx := share.WithSecurity(context.Background(), share.Security{RequireSigning: true})
	fsys, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if got := protocols(t, srv); !strings.Contains(got, "SMB3_11") {
		t.Fatalf("sessions:\n%s\nwant SMB3_11", got)
	}
	// A per-server pin wins over the policy.
	pinned, err := smbfs.Open(context.Background(), srv.Location(dist), srv.Credentials(), smbfs.Options{Dialect: smbfs.SMB302})
	if err != nil {
		t.Fatal(err)
	}
	defer pinned.Close()
	if got := protocols(t, srv); !strings.Contains(got, "SMB3_02") {
		t.Fatalf("sessions:\n%s\nwant SMB3_02 too", got)
	}
}

// A wrong password is tried once, even where the server would turn SMB 2.1
// away: trying again would count twice towards the account's lockout.
func TestWrongPasswordTriedOnce(t *testing.T) {
	for _, global := range [][]string{nil, {"server smb encrypt = required"}} {
		opt := sambatest.Options{Global: global}
		encShare(t, &opt)
		srv := sambatest.Start(t, opt)
		for _, name := range []string{dist, "ENC"} {
			cnt := newCounter(t, srv.Location(name).Addr())
			loc := srv.Location(name)
			loc.Port = cnt.port()
			cred := srv.Credentials()
			cred.Password = model.NewSecret("Wr0ng-Passw0rd")
			_, err := smbfs.Open(context.Background(), loc, cred, smbfs.Options{})
			if !errors.Is(err, share.ErrAuth) {
				t.Fatalf("%v %s: wrong password: %v, want ErrAuth", global, name, err)
			}
			if n := cnt.conns.Load(); n != 1 {
				t.Fatalf("%v %s: wrong password: %d connections, want 1", global, name, n)
			}
			// The right password through the same counter: the fallback's
			// second connection shows where it is needed.
			f, err := smbfs.Open(context.Background(), loc, srv.Credentials(), smbfs.Options{})
			if err != nil {
				t.Fatalf("%v %s: right password: %v", global, name, err)
			}
			f.Close()
			want := int32(2)
			if global != nil || name == "ENC" {
				want = 3
			}
			if n := cnt.conns.Load(); n != want {
				t.Fatalf("%v %s: %d connections in all, want %d", global, name, n, want)
			}
		}
	}
}
