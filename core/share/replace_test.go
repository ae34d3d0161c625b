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

func TestReplaceFile(t *testing.T) {
	fsys, err := localfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := context.Background()
	if err := fsys.MkdirAll("instructions"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		data       []byte
		wantErr    error // nil: the file must then hold data
	}{
		{"new file", "instructions/PC1.ins", []byte("first"), nil},
		{"replaces an existing file", "instructions/PC1.ins", []byte("second, longer"), nil},
		{"replaces with an empty file", "instructions/PC1.ins", nil, nil},
		{"folder the caller did not make", "missing/PC1.ins", []byte("x"), fs.ErrNotExist},
		{"name leaving the share", "../PC1.ins", []byte("x"), fs.ErrInvalid},
		{"the root", ".", []byte("x"), fs.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := share.ReplaceFile(ctx, fsys, tc.file, tc.data)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := share.ReadFile(fsys, tc.file, 1<<10)
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Fatalf("read back %q, %v; want %q", got, err, tc.data)
			}
			list, err := fsys.ReadDir("instructions")
			if err != nil {
				t.Fatal(err)
			}
			for _, fi := range list {
				if share.IsTemp(fi.Name()) {
					t.Errorf("temporary file left: %s", fi.Name())
				}
			}
		})
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := share.ReplaceFile(ctx, fsys, "instructions/PC2.ins", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}

func TestReadSmallFile(t *testing.T) {
	fsys, err := localfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := share.WriteFileAtomic(context.Background(), fsys, "status/PC1/J1.json", []byte("0123456789")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file string
		max        int64
		want       string
		wantErr    bool
	}{
		{"whole file", "status/PC1/J1.json", 10, "0123456789", false},
		{"larger than allowed", "status/PC1/J1.json", 9, "", true},
		{"missing", "status/PC1/J2.json", 10, "", true},
		{"a folder", "status/PC1", 10, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := share.ReadSmallFile(fsys, tc.file, tc.max)
			if (err != nil) != tc.wantErr || string(got) != tc.want {
				t.Errorf("got %q, %v", got, err)
			}
		})
	}
	if _, err := share.ReadSmallFile(fsys, "status/PC1/J2.json", 10); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

// ReplaceFileVia writes the temporary twin in its own folder and renames it
// into place: the file holds the data, neither folder keeps a temporary
// file, and a temporary folder that is missing or leaves the share is an
// error that leaves the old content.
func TestReplaceFileVia(t *testing.T) {
	fsys, err := localfs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	ctx := context.Background()
	if err := fsys.MkdirAll("instructions/.staging"); err != nil {
		t.Fatal(err)
	}
	for _, data := range []string{"first", "second, longer"} {
		if err := share.ReplaceFileVia(ctx, fsys, "instructions/.staging", "instructions/PC1.ins", []byte(data)); err != nil {
			t.Fatal(err)
		}
		if got, err := share.ReadFile(fsys, "instructions/PC1.ins", 1<<10); err != nil || string(got) != data {
			t.Fatalf("read back %q, %v; want %q", got, err, data)
		}
	}
	for _, dir := range []string{"instructions", "instructions/.staging"} {
		list, err := fsys.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, fi := range list {
			if share.IsTemp(fi.Name()) {
				t.Errorf("temporary file left in %s: %s", dir, fi.Name())
			}
		}
	}
	for _, tc := range []struct {
		tmpDir string
		want   error
	}{{"missing", fs.ErrNotExist}, {"../out", fs.ErrInvalid}} {
		if err := share.ReplaceFileVia(ctx, fsys, tc.tmpDir, "instructions/PC1.ins", []byte("lost")); !errors.Is(err, tc.want) {
			t.Errorf("temporary folder %q: err = %v, want %v", tc.tmpDir, err, tc.want)
		}
	}
	if got, _ := share.ReadFile(fsys, "instructions/PC1.ins", 1<<10); string(got) != "second, longer" {
		t.Errorf("after the refused replaces the file holds %q", got)
	}
}
