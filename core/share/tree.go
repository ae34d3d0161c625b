package share

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// PutTree copies the local folder srcDir to dstDir on the share, for Share
// Package On Server jobs. The copy is atomic as a whole: it is written to
// dstDir.tmp-<token> and then swapped in, and the tree dstDir held before
// is removed. Between the swap's two renames dstDir is briefly absent;
// readers never see a half-copied tree.
//
// Symbolic links inside srcDir are copied as the files they name; a link
// that leaves srcDir, a link to a folder and special files are refused
// before anything is written. progress, if set, gets the bytes copied
// and the total.
func PutTree(ctx context.Context, fsys FS, dstDir, srcDir string, progress func(done, total int64)) error {
	dst, err := CleanName(dstDir)
	if err != nil {
		return err
	}
	if dst == "." {
		return fmt.Errorf("put tree %s: the share's root cannot be replaced: %w", srcDir, fs.ErrInvalid)
	}
	fail := func(err error) error { return fmt.Errorf("put tree %s to %s: %w", srcDir, dst, err) }
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return fail(err)
	}
	defer root.Close()
	entries, total, err := listTree(root, srcDir)
	if err != nil {
		return fail(err)
	}

	removeTemps(fsys, dst)
	tmp := tempName(dst)
	if err := copyTree(ctx, fsys, root, tmp, entries, total, progress); err != nil {
		_ = fsys.RemoveAll(tmp)
		return fail(err)
	}
	if err := swapIn(fsys, tmp, dst); err != nil {
		_ = fsys.RemoveAll(tmp)
		return fail(err)
	}
	return nil
}

// treeEntry is one folder or file to copy, named relative to the tree.
type treeEntry struct {
	name string
	dir  bool
	size int64
}

// listTree walks the local tree and checks every entry before anything is
// copied, so that a refused link leaves the share untouched.
func listTree(root *os.Root, srcDir string) ([]treeEntry, int64, error) {
	var entries []treeEntry
	var total int64
	err := fs.WalkDir(root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		if d.IsDir() {
			entries = append(entries, treeEntry{name: name, dir: true})
			return nil
		}
		// root.Stat follows links but refuses one that leaves the root.
		fi, err := root.Stat(name)
		if err != nil {
			if d.Type()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s is a link that leaves %s or leads nowhere: %w", name, srcDir, err)
			}
			return err
		}
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s in %s is a link to a folder; copy the folder into the package instead", name, srcDir)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s in %s is not a regular file (%v)", name, srcDir, fi.Mode().Type())
		}
		entries = append(entries, treeEntry{name: name, size: fi.Size()})
		total += fi.Size()
		return nil
	})
	return entries, total, err
}

func copyTree(ctx context.Context, fsys FS, root *os.Root, tmp string, entries []treeEntry, total int64, progress func(done, total int64)) error {
	if err := fsys.MkdirAll(tmp); err != nil {
		return err
	}
	var before int64
	if progress != nil {
		progress(0, total)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := tmp + "/" + e.name
		if e.dir {
			if err := fsys.MkdirAll(name); err != nil {
				return err
			}
			continue
		}
		if err := copyFile(ctx, fsys, root, e, name, before, total, progress); err != nil {
			return err
		}
		before += e.size
	}
	return nil
}

func copyFile(ctx context.Context, fsys FS, root *os.Root, e treeEntry, name string, before, total int64, progress func(done, total int64)) error {
	src, err := root.Open(e.name)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	var opt PutOptions
	if progress != nil {
		opt.Progress = func(done, _ int64) { progress(before+done, total) }
	}
	_, err = writeFrom(ctx, dst, src, 0, e.size, opt)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying %s: %w", e.name, err)
	}
	return nil
}

// swapIn replaces dst by the complete tree tmp. A rename cannot replace a
// folder that has content, so the old tree is moved aside first and put
// back if the new one cannot take its place.
func swapIn(fsys FS, tmp, dst string) error {
	_, err := fsys.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return fsys.Rename(tmp, dst)
	}
	if err != nil {
		return err
	}
	old := tempName(dst)
	if err := fsys.Rename(dst, old); err != nil {
		return err
	}
	if err := fsys.Rename(tmp, dst); err != nil {
		if rerr := fsys.Rename(old, dst); rerr != nil {
			return fmt.Errorf("%w; the previous tree is left at %s: %w", err, old, rerr)
		}
		return err
	}
	// The new tree is in place; an old one left behind is a temp that the
	// next PutTree removes.
	_ = fsys.RemoveAll(old)
	return nil
}

// removeTemps removes what earlier, interrupted copies of dst left.
func removeTemps(fsys FS, dst string) {
	dir, base := path.Split(dst)
	list, err := fsys.ReadDir(path.Clean(dir))
	if err != nil {
		return
	}
	for _, fi := range list {
		if strings.HasPrefix(fi.Name(), base+tempMarker) {
			_ = fsys.RemoveAll(dir + fi.Name())
		}
	}
}
