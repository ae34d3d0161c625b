// Package localfs implements share.FS over a local folder, for development,
// the demo site and tests. Names are resolved through os.Root, so neither a
// name nor a symbolic link inside the folder can reach outside it.
package localfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"opensms/core/model"
	"opensms/core/share"
)

// Opener opens "file" locations.
type Opener struct{}

// Open opens the local folder loc.Path; ctx and cred are not needed.
func (Opener) Open(_ context.Context, loc model.Location, _ model.Credentials) (share.FS, error) {
	if !loc.IsLocal() {
		return nil, fmt.Errorf("localfs: %s is not a local folder", loc)
	}
	return Open(loc.Path)
}

// FS is a local folder seen as a share.
type FS struct {
	dir  string
	root *os.Root
}

var _ share.FS = (*FS)(nil)

// Open roots an FS at dir, which must exist.
func Open(dir string) (*FS, error) {
	if !filepath.IsAbs(dir) {
		return nil, fmt.Errorf("local folder %q is not an absolute path: %w", dir, share.ErrNoShare)
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("local folder %s does not exist: %w", dir, share.ErrNoShare)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("local folder %s may not be read: %w", dir, share.ErrAuth)
	case err != nil:
		return nil, fmt.Errorf("local folder %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("local folder %s is not a folder: %w", dir, share.ErrNoShare)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, classify(dir, err)
	}
	return &FS{dir: dir, root: root}, nil
}

// Dir is the folder the FS is rooted at.
func (f *FS) Dir() string { return f.dir }

// Stat describes name; symbolic links are followed, within the folder.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, err := share.CleanName(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.root.Stat(n)
	return fi, f.fail(err)
}

// Open opens name for reading.
func (f *FS) Open(name string) (share.File, error) { return f.OpenFile(name, os.O_RDONLY) }

// OpenFile opens name with os.O_* flags; new files get mode 0644.
func (f *FS) OpenFile(name string, flag int) (share.File, error) {
	n, err := share.CleanName(name)
	if err != nil {
		return nil, err
	}
	of, err := f.root.OpenFile(n, flag, 0o644)
	if err != nil {
		return nil, f.fail(err)
	}
	return &file{File: of, fs: f}, nil
}

// ReadDir lists the folder name, sorted by name.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) {
	n, err := share.CleanName(name)
	if err != nil {
		return nil, err
	}
	d, err := f.root.Open(n)
	if err != nil {
		return nil, f.fail(err)
	}
	defer d.Close()
	list, err := d.Readdir(-1)
	if err != nil {
		return nil, f.fail(err)
	}
	slices.SortFunc(list, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return list, nil
}

// MkdirAll creates name and its parents with mode 0755.
func (f *FS) MkdirAll(name string) error {
	n, err := share.CleanName(name)
	if err != nil {
		return err
	}
	return f.fail(f.root.MkdirAll(n, 0o755))
}

// Rename moves oldname to newname, replacing a file there.
func (f *FS) Rename(oldname, newname string) error {
	o, err := share.CleanName(oldname)
	if err != nil {
		return err
	}
	n, err := share.CleanName(newname)
	if err != nil {
		return err
	}
	return f.fail(f.root.Rename(o, n))
}

// Remove removes a file or an empty folder.
func (f *FS) Remove(name string) error {
	n, err := share.CleanName(name)
	if err != nil {
		return err
	}
	return f.fail(f.root.Remove(n))
}

// RemoveAll removes name and everything below it; a missing name is not an
// error. It refuses the root itself.
func (f *FS) RemoveAll(name string) error {
	n, err := share.CleanName(name)
	if err != nil {
		return err
	}
	if n == "." {
		return &fs.PathError{Op: "removeall", Path: f.dir, Err: fmt.Errorf("the share's root cannot be removed: %w", fs.ErrInvalid)}
	}
	return f.fail(f.root.RemoveAll(n))
}

// Close releases the folder.
func (f *FS) Close() error { return f.root.Close() }

// fail names the folder in err's path and adds the share sentinel it means.
func (f *FS) fail(err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) && !filepath.IsAbs(pe.Path) {
		c := *pe
		c.Path = filepath.Join(f.dir, filepath.FromSlash(pe.Path))
		err = &c
	}
	return classify(f.dir, err)
}

// classify adds share.ErrFull or share.ErrAuth to an error that means it.
func classify(dir string, err error) error {
	switch {
	case err == nil:
		return nil
	case isFull(err):
		return fmt.Errorf("%w: %w", err, share.ErrFull)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", err, share.ErrAuth)
	}
	return err
}

// file adds the share sentinels to a local file's write errors.
type file struct {
	*os.File
	fs *FS
}

func (f *file) Write(b []byte) (int, error) {
	n, err := f.File.Write(b)
	return n, f.fs.fail(err)
}

func (f *file) WriteAt(b []byte, off int64) (int, error) {
	n, err := f.File.WriteAt(b, off)
	return n, f.fs.fail(err)
}

func (f *file) Truncate(size int64) error { return f.fs.fail(f.File.Truncate(size)) }

func (f *file) Close() error { return f.fs.fail(f.File.Close()) }
