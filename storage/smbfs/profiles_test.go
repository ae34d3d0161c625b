package smbfs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

// Against each hardened server profile, with nothing asked on the client's
// side: a push, a push resumed after smbd stopped in its middle, a fetch,
// and the reads and writes of a site share.
func TestProfiles(t *testing.T) {
	for _, p := range sambatest.Profiles {
		t.Run(p.String(), func(t *testing.T) {
			srv := sambatest.Start(t, sambatest.Options{Profile: p})
			tp := newTap(t, srv.Location(dist).Addr())
			loc := srv.Location(dist)
			loc.Port = tp.port()
			ctx := context.Background()
			fsys := open(t, srv, loc, smbfs.Options{})

			// Push.
			data := payload(32 << 20)
			if _, err := share.PutAtomic(ctx, fsys, "S0100001/pkg.tzst", bytes.NewReader(data), int64(len(data)), share.PutOptions{}); err != nil {
				t.Fatalf("push: %v", err)
			}
			if got, err := os.ReadFile(filepath.Join(srv.Dir(dist), "S0100001", "pkg.tzst")); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("pushed file differs (%d bytes, %v)", len(got), err)
			}
			st := sessions(t, srv)
			_, _, _, signed, encrypted := tp.counts()
			switch p {
			case sambatest.SigningMandatory:
				if fsys.Encrypted() || encrypted != 0 || signed == 0 || !strings.Contains(st, "SMB3_11") || !strings.Contains(st, "AES-128-CMAC") {
					t.Fatalf("signing: Encrypted %v, %d encrypted and %d signed answers, sessions:\n%s", fsys.Encrypted(), encrypted, signed, st)
				}
			case sambatest.EncryptionRequired:
				if !fsys.Encrypted() || encrypted == 0 || !strings.Contains(st, "AES-128-GCM") {
					t.Fatalf("encryption: Encrypted %v, %d encrypted messages, sessions:\n%s", fsys.Encrypted(), encrypted, st)
				}
			}

			// Fetch.
			dst := filepath.Join(t.TempDir(), "pkg.tzst")
			if _, err := share.Fetch(ctx, fsys, "S0100001/pkg.tzst", dst, int64(len(data)), nil); err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if got, err := os.ReadFile(dst); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("fetched file differs (%d bytes, %v)", len(got), err)
			}

			// A site share: an instruction file written, replaced, read and
			// listed; a status file removed.
			for i := range 3 {
				if err := share.WriteFileAtomic(ctx, fsys, "instructions/PC001.ins", []byte(fmt.Sprint("generation ", i))); err != nil {
					t.Fatalf("writing instructions (%d): %v", i, err)
				}
			}
			if err := share.WriteFileAtomic(ctx, fsys, "status/PC001/S0100003.json", []byte("{}")); err != nil {
				t.Fatal(err)
			}
			if b, err := share.ReadFile(fsys, "instructions/PC001.ins", 100); err != nil || string(b) != "generation 2" {
				t.Fatalf("reading instructions: %q, %v", b, err)
			}
			if list, err := fsys.ReadDir("instructions"); err != nil || len(list) != 1 {
				t.Fatalf("listing instructions: %v, %v", list, err)
			}
			if err := fsys.Remove("status/PC001/S0100003.json"); err != nil {
				t.Fatal(err)
			}

			// Resume after smbd stops in the middle of a push.
			putStoppingServer(t, srv, fsys, "S0100002/pkg.tzst", data, 16<<20)
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
			res, err := share.PutAtomic(ctx, open(t, srv, loc, smbfs.Options{}), "S0100002/pkg.tzst", bytes.NewReader(data), int64(len(data)), share.PutOptions{})
			if err != nil {
				t.Fatalf("push after restart: %v", err)
			}
			if res.Resumed <= 0 || res.Resumed+res.Written != int64(len(data)) {
				t.Fatalf("after restart: %+v, want Resumed > 0", res)
			}
			if got, err := os.ReadFile(filepath.Join(srv.Dir(dist), "S0100002", "pkg.tzst")); err != nil || !bytes.Equal(got, data) {
				t.Fatalf("resumed file differs (%d bytes, %v)", len(got), err)
			}
		})
	}
}

// The unsigned interim (STATUS_PENDING) answers that Samba sends for
// asynchronous I/O, which go-smb2 v1.1.0 refused when signing was
// required: with signing mandatory and Samba's default aio, writes work,
// and the tap shows the interim answers were there.
func TestSigningWithAsyncIO(t *testing.T) {
	// A server slow to write, as a busy one is: every write waits for the
	// disk, and one thread does them all, so writes outlast the half
	// millisecond after which Samba answers with an interim response.
	srv := sambatest.Start(t, sambatest.Options{Profile: sambatest.SigningMandatory,
		Global: []string{"sync always = yes", "aio max threads = 1"}})
	tp := newTap(t, srv.Location(dist).Addr())
	loc := srv.Location(dist)
	loc.Port = tp.port()
	ctx := share.WithSecurity(context.Background(), share.Security{RequireSigning: true})
	fsys, err := smbfs.Open(ctx, loc, srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatalf("signing required: %v", err)
	}
	defer fsys.Close()
	data := payload(64 << 20)
	if _, err := share.PutAtomic(ctx, fsys, "signed.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{}); err != nil {
		t.Fatalf("push with signing required: %v", err)
	}
	for i := range 20 {
		if err := share.WriteFileAtomic(ctx, fsys, fmt.Sprintf("signed%d.txt", i), []byte("x")); err != nil {
			t.Fatalf("small write %d with signing required: %v", i, err)
		}
	}
	_, _, pending, signed, _ := tp.counts()
	t.Logf("%d interim answers, %d signed answers", pending, signed)
	if pending == 0 {
		t.Fatal("Samba sent no interim answer: the test did not meet what it guards")
	}
}

// Require encryption works where the server or the share encrypts, shown
// on the wire, and is refused with what to change where it does not.
func TestRequireEncryption(t *testing.T) {
	ctx := share.WithSecurity(context.Background(), share.Security{RequireEncryption: true})
	opt := sambatest.Options{}
	encDir := encShare(t, &opt)
	srv := sambatest.Start(t, opt)
	_, err := smbfs.Open(ctx, srv.Location(dist), srv.Credentials(), smbfs.Options{})
	if !errors.Is(err, share.ErrSecurity) || !share.IsPermanent(err) || errors.Is(err, share.ErrAuth) ||
		!strings.Contains(err.Error(), "does not encrypt") || !strings.Contains(err.Error(), "smb encrypt = required") {
		t.Fatalf("encryption required of a share that does not encrypt: %v", err)
	}
	checkMessage(t, err, srv)
	t.Logf("not encrypted: %v", err)

	// The share alone requires it.
	fsys, err := smbfs.Open(ctx, srv.Location("ENC"), srv.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatalf("encryption required of a share that requires it: %v", err)
	}
	if err := share.WriteFileAtomic(ctx, fsys, "a.txt", []byte("sealed")); err != nil || !fsys.Encrypted() {
		t.Fatalf("write: %v, Encrypted %v", err, fsys.Encrypted())
	}
	if b, err := os.ReadFile(filepath.Join(encDir, "a.txt")); err != nil || string(b) != "sealed" {
		t.Fatalf("on disk: %q, %v", b, err)
	}
	if err := fsys.Close(); err != nil {
		t.Fatal(err)
	}

	// The whole server requires it.
	enc := sambatest.Start(t, sambatest.Options{Profile: sambatest.EncryptionRequired})
	fsys, err = smbfs.Open(ctx, enc.Location(dist), enc.Credentials(), smbfs.Options{})
	if err != nil {
		t.Fatalf("encryption required of a server that requires it: %v", err)
	}
	defer fsys.Close()
	if _, err := fsys.ReadDir("."); err != nil || !fsys.Encrypted() {
		t.Fatalf("list: %v, Encrypted %v", err, fsys.Encrypted())
	}
}

// Replacing a file is one rename on the server: no move aside, and the
// name is never absent. The tap counts the requests it takes.
func TestReplaceRequests(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	tp := newTap(t, srv.Location(dist).Addr())
	loc := srv.Location(dist)
	loc.Port = tp.port()
	fsys := open(t, srv, loc, smbfs.Options{})
	ctx := context.Background()
	if err := share.WriteFileAtomic(ctx, fsys, "PC001.ins", []byte("old")); err != nil {
		t.Fatal(err)
	}
	if err := share.WriteFileAtomic(ctx, fsys, "PC001.ins.tmp-1", []byte("new")); err != nil {
		t.Fatal(err)
	}
	_, before, _, _, _ := tp.counts()
	if err := fsys.Rename("PC001.ins.tmp-1", "PC001.ins"); err != nil {
		t.Fatal(err)
	}
	_, after, _, _, _ := tp.counts()
	t.Logf("a replacing rename took %d requests", after-before)
	if after-before > 3 {
		t.Fatalf("a replacing rename took %d requests, want at most 3 (open, rename, close)", after-before)
	}
	if b, err := os.ReadFile(filepath.Join(srv.Dir(dist), "PC001.ins")); err != nil || string(b) != "new" {
		t.Fatalf("after the rename: %q, %v", b, err)
	}
	if list, _ := os.ReadDir(srv.Dir(dist)); len(list) != 1 {
		t.Fatalf("beside the file: %v", list)
	}
}
