package pack

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// plainTree writes a tree a share can carry: files and folders, no links.
func plainTree(t *testing.T, dir string, fileMode fs.FileMode) {
	t.Helper()
	for name, data := range map[string]string{
		"setup.sh":       "#!/bin/sh\necho hi\n",
		"data/a.txt":     strings.Repeat("Systems Management Server\n", 1000),
		"data/sub/b.bin": "\x00\x01\x02",
		"zz/empty":       "",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o700))
		must(t, os.WriteFile(p, []byte(data), fileMode))
	}
	must(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o700))
}

// A tree read through a file system packs as the same tree packed from a
// local folder whose files are not executable: executable bits it may
// report are dropped, folders are 0755.
func TestPackFSMatchesLocal(t *testing.T) {
	local, other := t.TempDir(), t.TempDir()
	plainTree(t, local, 0o644)
	plainTree(t, other, 0o755) // what a share cannot say must not count
	var want, got bytes.Buffer
	wst, err := Pack(context.Background(), local, &want, Options{})
	must(t, err)
	gst, err := PackFS(context.Background(), os.DirFS(other), `\\files\src\tools`, &got, Options{})
	must(t, err)
	if !bytes.Equal(want.Bytes(), got.Bytes()) || wst.SHA256 != gst.SHA256 {
		t.Fatalf("PackFS made %s, Pack of the same tree %s", gst.SHA256, wst.SHA256)
	}
	if gst.Files != 4 || gst.Dirs != 4 {
		t.Errorf("stats %+v", gst)
	}
	d1, n1, b1, err := SourceDigestFS(context.Background(), os.DirFS(other), "x")
	must(t, err)
	d2, n2, b2, err := SourceDigestFS(context.Background(), os.DirFS(other), "x")
	must(t, err)
	if d1 != d2 || n1 != 4 || n2 != 4 || b1 != b2 {
		t.Errorf("digest not stable: %s %d %d / %s %d %d", d1, n1, b1, d2, n2, b2)
	}
	must(t, os.WriteFile(filepath.Join(other, "data", "new.txt"), []byte("x"), 0o644))
	if d3, _, _, _ := SourceDigestFS(context.Background(), os.DirFS(other), "x"); d3 == d1 {
		t.Error("a new file left the digest unchanged")
	}

	dst := t.TempDir()
	fst, name, err := PackFileFS(context.Background(), os.DirFS(local), "x", dst, Options{})
	must(t, err)
	if fst.SHA256 != wst.SHA256 || filepath.Base(name) != wst.SHA256+ArchiveExt {
		t.Errorf("PackFileFS wrote %s", name)
	}
}

// A source folder that is missing or cannot be listed is a sentence naming it as
// the administrator gave it.
func TestPackFSRefuses(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "file"), nil, 0o644))
	for _, tc := range []struct {
		fsys fs.FS
		want string
		is   error
	}{
		{os.DirFS(filepath.Join(dir, "gone")), `source folder \\h\s\gone does not exist`, fs.ErrNotExist},
		{os.DirFS(filepath.Join(dir, "file")), `source folder \\h\s\gone cannot be read`, nil},
	} {
		_, err := PackFS(context.Background(), tc.fsys, `\\h\s\gone`, new(bytes.Buffer), Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("err %v, want %q", err, tc.want)
		}
	}
}
