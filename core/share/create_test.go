package share_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"testing"

	"opensms/core/share"
	"opensms/storage/localfs"
)

func TestCreateFile(t *testing.T) {
	fsys, err := localfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := context.Background()
	if err := fsys.MkdirAll("instructions/ab"); err != nil {
		t.Fatal(err)
	}
	if err := share.CreateFile(ctx, fsys, "instructions/ab/PC1.ins", []byte("first")); err != nil {
		t.Fatal(err)
	}
	// A name that is taken keeps what it holds.
	if err := share.CreateFile(ctx, fsys, "instructions/ab/PC1.ins", []byte("second")); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("creating over an existing file: err = %v, want fs.ErrExist", err)
	}
	if got, err := share.ReadFile(fsys, "instructions/ab/PC1.ins", 1<<10); err != nil || !bytes.Equal(got, []byte("first")) {
		t.Fatalf("read back %q, %v; want %q", got, err, "first")
	}
	for _, tc := range []struct {
		name, file string
		want       error
	}{
		{"folder the caller did not make", "missing/PC1.ins", fs.ErrNotExist},
		{"name leaving the share", "../PC1.ins", fs.ErrInvalid},
		{"the root", ".", fs.ErrInvalid},
	} {
		if err := share.CreateFile(ctx, fsys, tc.file, []byte("x")); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if err := share.CreateFile(canceled, fsys, "instructions/ab/PC2.ins", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
	if _, err := fsys.Stat("instructions/ab/PC2.ins"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a canceled create left a file: %v", err)
	}
}
