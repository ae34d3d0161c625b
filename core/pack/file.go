package pack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// PackFile packs srcDir into dstDir/<sha256>.tzst and returns its path. It
// writes a temporary file first and renames it only when it is complete,
// checked and synced, so the archive's name never names a partial file; on
// error the temporary file is removed.
//
// A source file that changes while it is read makes it pack again, up to
// three times in all, so that the archive is one version of the source.
func PackFile(ctx context.Context, srcDir, dstDir string, opt Options) (st Stats, name string, err error) {
	root, err := sourceRoot(srcDir)
	if err != nil {
		return Stats{}, "", err
	}
	return packFileAgain(ctx, root, dstDir, opt)
}

// PackFileFS is PackFile for a source folder read through fsys (see
// PackFS), named where in sentences.
func PackFileFS(ctx context.Context, fsys fs.FS, where, dstDir string, opt Options) (Stats, string, error) {
	root, err := fsRoot(fsys, where)
	if err != nil {
		return Stats{}, "", err
	}
	return packFileAgain(ctx, root, dstDir, opt)
}

// packFileAgain packs again when a source file changed while it was read,
// up to three times in all.
func packFileAgain(ctx context.Context, root tree, dstDir string, opt Options) (st Stats, name string, err error) {
	for try := 1; ; try++ {
		st, name, err = packFile(ctx, root, dstDir, opt)
		if !errors.Is(err, ErrChanged) || try == 3 {
			return st, name, err
		}
	}
}

func packFile(ctx context.Context, root tree, dstDir string, opt Options) (st Stats, name string, err error) {
	f, err := os.CreateTemp(dstDir, ".tmp-*")
	if err != nil {
		return Stats{}, "", sentencef(err, "cannot write archives to %s: %v", dstDir, pathErr(err))
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	var tee *teeWriter
	if opt.Tee != nil {
		if tw, err := opt.Tee.Begin(); err == nil {
			tee = &teeWriter{w: f, tee: tw}
			w = tee
		}
	}
	if st, err = packTree(ctx, root, w, opt); err != nil {
		return Stats{}, "", err
	}
	if tee != nil && tee.tee != nil {
		// The copy is whole: it is named while the local file syncs.
		ended := make(chan struct{})
		go func() { // PackFile waits for it below
			defer close(ended)
			opt.Tee.End(st)
		}()
		defer func() { <-ended }()
	}
	if err = f.Sync(); err != nil {
		return Stats{}, "", fmt.Errorf("writing archive %s: %w", tmp, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return Stats{}, "", fmt.Errorf("writing archive %s: %w", tmp, err)
	}
	if fi.Size() != st.Size {
		return Stats{}, "", fmt.Errorf("archive %s is %d bytes on disk but %d were written", tmp, fi.Size(), st.Size)
	}
	if err = f.Close(); err != nil {
		return Stats{}, "", fmt.Errorf("writing archive %s: %w", tmp, err)
	}
	name = filepath.Join(dstDir, st.SHA256+ArchiveExt)
	if err = os.Rename(tmp, name); err != nil {
		return Stats{}, "", fmt.Errorf("naming archive %s: %w", name, err)
	}
	return st, name, nil
}

// teeWriter writes to w and, until it fails, to tee: a Tee's failure
// never fails the pack.
type teeWriter struct {
	w, tee io.Writer
}

func (t *teeWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if t.tee != nil && n > 0 {
		if _, terr := t.tee.Write(p[:n]); terr != nil {
			t.tee = nil
		}
	}
	return n, err
}

// HashFile returns the hex SHA-256 and size of a file, reading it once.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, sentencef(err, "cannot read archive %s: %v", path, pathErr(err))
	}
	defer f.Close()
	h := sha256.New()
	// A plain reader keeps io.Copy from handing the file to a WriterTo that
	// allocates its own buffer.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, make([]byte, copyBufSize))
	if err != nil {
		return "", 0, sentencef(err, "cannot read archive %s: %v", path, pathErr(err))
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// VerifyFile checks an archive against the size and hash that signed
// instructions give for it. A mismatch wraps ErrMismatch.
func VerifyFile(path, wantSHA string, wantSize int64) error {
	if fi, err := os.Stat(path); err != nil {
		return sentencef(err, "cannot read archive %s: %v", path, pathErr(err))
	} else if fi.Size() != wantSize {
		return sentencef(ErrMismatch, "archive %s is %d bytes, the signed instructions say %d", path, fi.Size(), wantSize)
	}
	sum, size, err := HashFile(path)
	if err != nil {
		return err
	}
	if size != wantSize {
		return sentencef(ErrMismatch, "archive %s is %d bytes, the signed instructions say %d", path, size, wantSize)
	}
	if sum != wantSHA {
		return sentencef(ErrMismatch, "archive %s has sha256 %s, the signed instructions say %s", path, sum, wantSHA)
	}
	return nil
}
