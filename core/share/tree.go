package share

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// PutTree copies the local folder srcDir to dstDir on the share, for Share
// Package On Server jobs: PutTreeFrom over the folder, opened so that no
// link inside it can lead out of it.
func PutTree(ctx context.Context, fsys FS, dstDir, srcDir string, progress func(done, total int64)) error {
	root, err := os.OpenRoot(srcDir)
	if err != nil {
		return fmt.Errorf("put tree %s to %s: %w", srcDir, dstDir, err)
	}
	defer root.Close()
	return PutTreeFrom(ctx, fsys, dstDir, root.FS(), srcDir, progress)
}

// PutTreeFrom copies the tree src (a local folder, or a folder on another
// share through IOFS), named where in errors, to dstDir on the share. The
// copy is atomic as a whole: it is written to dstDir.tmp-<token> and then
// swapped in, and the tree dstDir held before is removed. Between the
// swap's two renames dstDir is briefly absent; readers never see a
// half-copied tree.
//
// Symbolic links inside src are copied as the files they name (src must
// refuse links that leave it, as os.Root's FS does); a link to a folder
// and special files are refused before anything is written. progress, if
// set, gets the bytes copied and the total.
func PutTreeFrom(ctx context.Context, fsys FS, dstDir string, src fs.FS, where string, progress func(done, total int64)) error {
	dst, err := CleanName(dstDir)
	if err != nil {
		return err
	}
	if dst == "." {
		return fmt.Errorf("put tree %s: the share's root cannot be replaced: %w", where, fs.ErrInvalid)
	}
	fail := func(err error) error { return fmt.Errorf("put tree %s to %s: %w", where, dst, err) }
	entries, total, err := listTree(src, where)
	if err != nil {
		return fail(err)
	}

	removeTemps(fsys, dst)
	tmp := tempName(dst)
	if err := copyTree(ctx, fsys, src, tmp, entries, total, progress); err != nil {
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

// listTree walks the tree and checks every entry before anything is
// copied, so that a refused link leaves the share untouched.
func listTree(src fs.FS, where string) ([]treeEntry, int64, error) {
	var entries []treeEntry
	var total int64
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
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
		// Stat follows links; os.Root's FS refuses one that leaves the root.
		fi, err := fs.Stat(src, name)
		if err != nil {
			if d.Type()&fs.ModeSymlink != 0 {
				return fmt.Errorf("%s is a link that leaves %s or leads nowhere: %w", name, where, err)
			}
			return err
		}
		switch {
		case fi.IsDir():
			return fmt.Errorf("%s in %s is a link to a folder; copy the folder into the package instead", name, where)
		case !fi.Mode().IsRegular():
			return fmt.Errorf("%s in %s is not a regular file (%v)", name, where, fi.Mode().Type())
		}
		entries = append(entries, treeEntry{name: name, size: fi.Size()})
		total += fi.Size()
		return nil
	})
	return entries, total, err
}

func copyTree(ctx context.Context, fsys FS, src fs.FS, tmp string, entries []treeEntry, total int64, progress func(done, total int64)) error {
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
		if err := copyFile(ctx, fsys, src, e, name, before, total, progress); err != nil {
			return err
		}
		before += e.size
	}
	return nil
}

func copyFile(ctx context.Context, fsys FS, src fs.FS, e treeEntry, name string, before, total int64, progress func(done, total int64)) error {
	f, err := src.Open(e.name)
	if err != nil {
		return err
	}
	defer f.Close()
	ra, ok := f.(io.ReaderAt)
	if !ok {
		return fmt.Errorf("copying %s: its file system cannot read at an offset", e.name)
	}
	dst, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return err
	}
	var opt PutOptions
	if progress != nil {
		opt.Progress = func(done, _ int64) { progress(before+done, total) }
	}
	_, err = writeFrom(ctx, dst, ra, 0, e.size, opt)
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
