package pack

import (
	"context"
	"errors"
	"io/fs"
	"strings"
)

// fsSource is a source folder read through an io/fs file system rooted at
// it: a folder on a share. It has no links and no executable bits; names
// are shown under where, with the backslashes of a UNC path when where is
// one.
type fsSource struct {
	fsys fs.FS
	dir  string
}

// fsRoot checks that fsys's root is a folder that can be listed.
func fsRoot(fsys fs.FS, where string) (fsSource, error) {
	fi, err := fs.Stat(fsys, ".")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fsSource{}, sentencef(err, "source folder %s does not exist: restore it, or give the package its new source folder", where)
	case err != nil:
		return fsSource{}, sentencef(err, "source folder %s cannot be read: %v", where, pathErr(err))
	case !fi.IsDir():
		return fsSource{}, sentencef(ErrRefused, "source folder %s is a file, not a folder", where)
	}
	return fsSource{fsys: fsys, dir: where}, nil
}

func (s fsSource) where() string { return s.dir }

func (s fsSource) open(e entry) (fs.File, error) { return s.fsys.Open(e.rel) }

// same has no file identity to compare over a share: a file replaced
// under its name shows as another size or time.
func (s fsSource) same(e entry, fi fs.FileInfo) bool {
	again, err := fs.Stat(s.fsys, e.rel)
	return err == nil && again.Size() == fi.Size() && again.ModTime().Equal(fi.ModTime())
}

// shown names rel under the folder as the administrator gave it.
func (s fsSource) shown(rel string) string {
	if rel == "." {
		return s.dir
	}
	if strings.HasPrefix(s.dir, `\\`) {
		return s.dir + `\` + strings.ReplaceAll(rel, "/", `\`)
	}
	return strings.TrimSuffix(s.dir, "/") + "/" + rel
}

// walk visits the tree in sorted order (fs.WalkDir reads each folder
// sorted by name, as filepath.WalkDir does for a local folder).
func (s fsSource) walk(ctx context.Context, fn func(entry) error) error {
	return fs.WalkDir(s.fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return sentencef(err, "cannot read %s: %v", s.shown(p), pathErr(err))
		}
		if cerr := ctx.Err(); cerr != nil {
			return sentencef(cerr, "packing %s stopped: %v", s.dir, cerr)
		}
		if p == "." {
			return nil
		}
		e := entry{rel: p, abs: s.shown(p), noExec: true}
		if err := e.fill(d); err != nil {
			return err
		}
		switch m := e.info.Mode(); {
		case m.IsDir(), m.IsRegular():
		default:
			return sentencef(ErrRefused, "%s is a %s; a package holds only files, folders and links", e.abs, kindOf(m))
		}
		return fn(e)
	})
}
