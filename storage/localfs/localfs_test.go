package localfs_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/core/share/sharetest"
	"opensms/storage/localfs"
)

func TestConformance(t *testing.T) {
	sharetest.Run(t, func(t *testing.T) share.FS {
		fsys, err := localfs.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return fsys
	})
}

func TestMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-here")
	_, err := localfs.Opener{}.Open(context.Background(), model.Location{Scheme: "file", Path: dir}, model.Credentials{})
	if !errors.Is(err, share.ErrNoShare) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open of a missing folder: %v", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := localfs.Open(file); !errors.Is(err, share.ErrNoShare) {
		t.Fatalf("Open of a file: %v", err)
	}
	if _, err := localfs.Open("relative/dir"); !errors.Is(err, share.ErrNoShare) {
		t.Fatalf("Open of a relative folder: %v", err)
	}
	if _, err := (localfs.Opener{}).Open(context.Background(), model.Location{Scheme: "smb", Host: "h", Share: "s"}, model.Credentials{}); err == nil {
		t.Fatal("localfs opened an smb location")
	}
}

func TestLinkOutsideRefused(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	fsys, err := localfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	if _, err := fsys.Open("link"); err == nil {
		t.Fatal("a link out of the folder was followed")
	}
}

func TestPermissionIsAuth(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "locked"), 0o000); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Chmod(filepath.Join(dir, "locked"), 0o755) })
	fsys, err := localfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	_, err = fsys.ReadDir("locked")
	if !errors.Is(err, share.ErrAuth) || !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("ReadDir of a locked folder: %v", err)
	}
}

func TestFolderFull(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", dir).Run() })
	fsys, err := localfs.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	data := make([]byte, 4<<20)
	_, err = share.PutAtomic(context.Background(), fsys, "big.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{})
	if !errors.Is(err, share.ErrFull) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("put on a full folder: %v, want ErrFull naming the folder", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Fatalf("left on the full folder: %v", left)
	}
}
