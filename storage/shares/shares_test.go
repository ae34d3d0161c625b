package shares_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/storage/shares"
)

func TestOpenLocalFolder(t *testing.T) {
	dir := t.TempDir()
	fsys, err := shares.Open(context.Background(), "file://"+dir, model.Credentials{})
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if err := share.WriteFileAtomic(context.Background(), fsys, "a/b.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "a", "b.txt"))
	if err != nil || string(got) != "hello" {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	for _, tc := range []struct {
		url  string
		want error
	}{
		{missing, share.ErrNoShare},
		{"ftp://host/x", nil},
		{"", nil},
	} {
		_, err := shares.Open(context.Background(), tc.url, model.Credentials{})
		if err == nil {
			t.Errorf("Open(%q) worked", tc.url)
			continue
		}
		if tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("Open(%q) = %v, want %v", tc.url, err, tc.want)
		}
	}
	_, err := shares.NewOpener().Open(context.Background(), model.Location{Scheme: "nfs"}, model.Credentials{})
	if err == nil {
		t.Error("scheme nfs opened")
	}
}
