package share

import (
	"io/fs"
	"slices"
	"strings"
)

// IOFS presents a connected share for reading as an io/fs file system, so
// that what walks and reads local folders (packing a source, copying a
// tree) reads a folder on a share the same way: names are relative to the
// FS's root, ReadDir lists a folder sorted by name as fs.ReadDir promises,
// and Open streams a file. Listings are as the share gives them (a
// source folder is the administrator's, not a protocol folder, so even a
// name like "*.tmp-*" is content), only "." and ".." left out.
func IOFS(fsys FS) fs.FS { return ioFS{fsys} }

type ioFS struct{ fsys FS }

var (
	_ fs.ReadDirFS = ioFS{}
	_ fs.StatFS    = ioFS{}
)

func (f ioFS) check(op, name string) error {
	if !fs.ValidPath(name) {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	return nil
}

// Open opens a file for reading; a share's File is an fs.File.
func (f ioFS) Open(name string) (fs.File, error) {
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	return f.fsys.Open(name)
}

// Stat describes name.
func (f ioFS) Stat(name string) (fs.FileInfo, error) {
	if err := f.check("stat", name); err != nil {
		return nil, err
	}
	return f.fsys.Stat(name)
}

// ReadDir lists the folder name, sorted by name.
func (f ioFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.check("readdir", name); err != nil {
		return nil, err
	}
	list, err := f.fsys.ReadDir(name)
	if err != nil {
		return nil, err
	}
	out := make([]fs.DirEntry, 0, len(list))
	for _, fi := range list {
		if n := fi.Name(); n == "." || n == ".." {
			continue
		}
		out = append(out, fs.FileInfoToDirEntry(fi))
	}
	slices.SortFunc(out, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}
