package smbfs_test

import (
	"context"
	"errors"
	"io/fs"
	"testing"

	"opensms/core/share"
	"opensms/storage/sambatest"
	"opensms/storage/smbfs"
)

// Mkdir creates one folder whose parent exists and says so when the name
// is taken or the parent missing; share.MakeFolder takes an existing
// folder for done and refuses a file in the way. Real Samba.
func TestMkdir(t *testing.T) {
	srv := sambatest.Start(t, sambatest.Options{})
	fsys := open(t, srv, freshFolder(t, srv), smbfs.Options{})
	if err := fsys.Mkdir("instructions"); err != nil {
		t.Fatal(err)
	}
	if fi, err := fsys.Stat("instructions"); err != nil || !fi.IsDir() {
		t.Fatalf("after Mkdir: %v, %v", fi, err)
	}
	if err := fsys.Mkdir("instructions"); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Mkdir of an existing folder: %v, want fs.ErrExist", err)
	}
	if err := fsys.Mkdir("missing/ab"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Mkdir under a missing folder: %v, want fs.ErrNotExist", err)
	}
	if err := share.MakeFolder(fsys, "instructions/ab"); err != nil {
		t.Fatal(err)
	}
	if err := share.MakeFolder(fsys, "instructions/ab"); err != nil {
		t.Fatalf("MakeFolder of an existing folder: %v", err)
	}
	if err := share.WriteFileAtomic(context.Background(), fsys, "instructions/0a", []byte("in the way")); err != nil {
		t.Fatal(err)
	}
	if err := share.MakeFolder(fsys, "instructions/0a"); err == nil {
		t.Fatal("MakeFolder over a file succeeded")
	}
}
