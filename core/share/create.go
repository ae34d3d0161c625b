package share

import (
	"context"
	"fmt"
	"io/fs"
	"os"
)

// CreateFile writes data as a new file under its final name: one open that
// fails (wrapping fs.ErrExist) when the name is taken, one write, one
// close. That is half the requests of ReplaceFileVia (no temporary twin to
// rename into place), which counts when a cycle writes thousands of new
// files. Unlike ReplaceFile, a reader may find the file empty or cut short
// while it is written, or left so by a writer that failed and could not
// remove it: only files whose readers refuse anything short of a whole
// signed file, and take a short one for an absent one (protocol.CutShort),
// may be created this way. A file that exists keeps its content; replace
// it with ReplaceFileVia.
func CreateFile(ctx context.Context, fsys FS, name string, data []byte) error {
	n, err := CleanName(name)
	if err != nil {
		return err
	}
	if n == "." {
		return &fs.PathError{Op: "create", Path: name, Err: fs.ErrInvalid}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("create %s: %w", n, err)
	}
	f, err := fsys.OpenFile(n, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("create %s: %w", n, err)
	}
	// As in ReplaceFileVia, the size check is the count the server
	// confirmed for the write.
	n2, err := f.Write(data)
	if err == nil && n2 != len(data) {
		err = fmt.Errorf("%s: the server took %d of %d bytes: %w", n, n2, len(data), errSizeMismatch)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = fsys.Remove(n)
		return fmt.Errorf("create %s: %w", n, err)
	}
	return nil
}
