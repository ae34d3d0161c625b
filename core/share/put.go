package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// PutOptions tune PutAtomic. The zero value is ready to use.
type PutOptions struct {
	// Progress, if set, is called after each chunk with the bytes of the
	// final file that are in place (resumed ones included) and the total.
	// Calls come one at a time, from the goroutine that called PutAtomic.
	Progress func(done, total int64)
	// ChunkSize is the size of one write; default DefaultChunkSize.
	ChunkSize int
	// Parallel is how many writes may be in flight on the one file, which
	// hides an SMB server's round trip; default DefaultParallel. Writes in
	// flight never span more than MaxInFlight bytes.
	Parallel int
	// Fresh skips looking for an earlier attempt to resume: for small files,
	// where listing the folder costs more than writing again.
	Fresh bool
	// Adopt, when set, is the base name of the temporary files a Stream
	// writes in name's folder (StartStream's base): PutAtomic resumes from
	// one as from its own earlier attempt, after comparing a slice of it
	// with src, and removes the others. A stream that failed part way
	// (the push that overlapped the packing) left the first bytes of the
	// same archive; one that holds something else is written over.
	Adopt string
}

// Defaults of PutOptions.
const (
	DefaultChunkSize = 1 << 20
	DefaultParallel  = 4
	// MaxInFlight bounds the span of a put's concurrent writes. After an
	// interruption only the last MaxInFlight bytes of a temporary file may
	// hold gaps, so a resume backs off that far before it trusts the rest.
	// Changing it changes what earlier, interrupted puts can be trusted for.
	MaxInFlight = 16 << 20
	// verifyTail is how much of an interrupted copy a resume compares with
	// the source before it trusts the bytes before it.
	verifyTail = 64 << 10
)

// PutResult tells what a put did.
type PutResult struct {
	// Resumed counts bytes kept from an earlier, interrupted attempt.
	Resumed int64
	// Written counts bytes written by this call.
	Written int64
}

// PutAtomic writes size bytes of src to name so that name appears only
// complete: it writes name.tmp-<token>, checks the size with Stat, then
// renames over name. Parent folders are created.
//
// It resumes: when a temporary file of an earlier, interrupted put of name
// is found, the bytes it holds are kept (after comparing a slice of them
// with src) and only the rest is written. On an error a retry may fix
// (ErrUnreachable, a cancelled ctx) the temporary file stays for the next
// attempt; on a permanent one it is removed.
//
// Two writers must not put the same name at once: the second would resume
// the first one's temporary file. OpenSMS has one writer per share.
func PutAtomic(ctx context.Context, fsys FS, name string, src io.ReaderAt, size int64, opt PutOptions) (PutResult, error) {
	var res PutResult
	n, err := CleanName(name)
	if err != nil {
		return res, err
	}
	if n == "." {
		return res, &fs.PathError{Op: "put", Path: name, Err: fs.ErrInvalid}
	}
	if size < 0 {
		return res, fmt.Errorf("put %s: negative size %d", n, size)
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	dir := path.Dir(n)
	if dir != "." {
		if err := fsys.MkdirAll(dir); err != nil {
			return res, fmt.Errorf("put %s: %w", n, err)
		}
	}
	tmp, f, resumed, err := openTemp(fsys, n, src, size, opt)
	if err != nil {
		return res, fmt.Errorf("put %s: %w", n, err)
	}
	res.Resumed = resumed
	written, err := writeFrom(ctx, f, src, resumed, size, opt)
	res.Written = written
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkSize(fsys, tmp, size)
	}
	if err == nil {
		err = fsys.Rename(tmp, n)
	}
	if err != nil {
		if !keepForResume(err) {
			_ = fsys.Remove(tmp)
		}
		return res, fmt.Errorf("put %s: %w", n, err)
	}
	return res, nil
}

// keepForResume reports whether a failed put's temporary file is worth
// keeping: when the failure is one a later attempt may get past.
func keepForResume(err error) bool {
	if IsPermanent(err) || errors.Is(err, errSizeMismatch) || errors.Is(err, fs.ErrInvalid) {
		return false
	}
	return true
}

var errSizeMismatch = errors.New("size differs after writing")

func checkSize(fsys FS, name string, want int64) error {
	fi, err := fsys.Stat(name)
	if err != nil {
		return err
	}
	if fi.Size() != want {
		return fmt.Errorf("%s is %d bytes, want %d: %w", name, fi.Size(), want, errSizeMismatch)
	}
	return nil
}

// openTemp opens the temporary file to write: an earlier attempt's, when
// one can be trusted, else a new one. It removes the other temporary files
// of name that earlier attempts left.
func openTemp(fsys FS, name string, src io.ReaderAt, size int64, opt PutOptions) (tmp string, f File, resumed int64, err error) {
	if !opt.Fresh {
		tmp, resumed = findTemp(fsys, name, size, opt.Adopt)
	}
	if tmp != "" {
		f, err = fsys.OpenFile(tmp, os.O_RDWR)
		if err == nil {
			resumed, err = trusted(f, src, resumed, false)
		}
		if err == nil {
			if err = f.Truncate(resumed); err == nil {
				return tmp, f, resumed, nil
			}
		}
		if f != nil {
			_ = f.Close()
		}
		if IsPermanent(err) || errors.Is(err, ErrUnreachable) {
			return "", nil, 0, err
		}
		// Unreadable or not what src holds: start over.
		_ = fsys.Remove(tmp)
	}
	tmp = tempName(name)
	f, err = fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return "", nil, 0, err
	}
	return tmp, f, 0, nil
}

// findTemp returns the largest temporary file of name (or of adopt, a
// Stream's base name in the same folder) that is not bigger than size,
// removing the others. It finds nothing when listing fails.
func findTemp(fsys FS, name string, size int64, adopt string) (string, int64) {
	dir, base := path.Split(name)
	ours := func(n string) bool {
		return strings.HasPrefix(n, base+tempMarker) || (adopt != "" && strings.HasPrefix(n, adopt+tempMarker))
	}
	list, err := fsys.ReadDir(path.Clean(dir))
	if err != nil {
		return "", 0
	}
	var best string
	var bestSize int64 = -1
	var stale []string
	for _, fi := range list {
		if fi.IsDir() || !ours(fi.Name()) {
			continue
		}
		full := dir + fi.Name()
		if fi.Size() > size || fi.Size() <= bestSize {
			stale = append(stale, full)
			continue
		}
		if best != "" {
			stale = append(stale, best)
		}
		best, bestSize = full, fi.Size()
	}
	for _, s := range stale {
		_ = fsys.Remove(s)
	}
	if best == "" {
		return "", 0
	}
	return best, bestSize
}

// writeFrom copies src[from:size] to f at the same offsets; see copyAt.
// Files without WriteAt are written in order.
func writeFrom(ctx context.Context, f File, src io.ReaderAt, from, size int64, opt PutOptions) (int64, error) {
	wa, ok := f.(io.WriterAt)
	if !ok {
		if _, err := f.Seek(from, io.SeekStart); err != nil {
			return 0, err
		}
		wa = &seqWriter{w: f, off: from}
		opt.Parallel = 1
	}
	return copyAt(ctx, wa, src, from, size, false, opt)
}

// seqWriter turns in-order WriteAt calls into Writes.
type seqWriter struct {
	w   io.Writer
	off int64
}

func (s *seqWriter) WriteAt(b []byte, off int64) (int, error) {
	if off != s.off {
		return 0, fmt.Errorf("write at %d, file is at %d", off, s.off)
	}
	n, err := s.w.Write(b)
	s.off += int64(n)
	return n, err
}

// WriteFileAtomic replaces name with data, so that readers see the old
// content or the new, never a part. It does not resume: small files are
// written whole.
func WriteFileAtomic(ctx context.Context, fsys FS, name string, data []byte) error {
	_, err := PutAtomic(ctx, fsys, name, bytes.NewReader(data), int64(len(data)), PutOptions{Fresh: true, Parallel: 1})
	return err
}

// ReadFile reads name whole, refusing a file larger than max bytes so that
// a damaged or hostile share cannot make the reader hold gigabytes.
func ReadFile(fsys FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("read %s: it is a folder, not a file", name)
	}
	if fi.Size() > max {
		return nil, fmt.Errorf("read %s: it is %d bytes, more than the %d bytes allowed", name, fi.Size(), max)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read %s: it grew past the %d bytes allowed while being read", name, max)
	}
	return b, nil
}

// ReplaceFile is WriteFileAtomic for the many small files of one folder
// the caller has already made (a watchdog writes thousands of instruction
// files a cycle): it skips creating the parent folders and takes the count
// the server confirmed for the write as the size check, which saves about
// half of the round trips. It is safe to call concurrently on one FS. Readers
// see the old content or the new, never a part; a failed write leaves no
// temporary file behind when it can remove it.
func ReplaceFile(ctx context.Context, fsys FS, name string, data []byte) error {
	return ReplaceFileVia(ctx, fsys, "", name, data)
}

// ReplaceFileVia is ReplaceFile with the temporary file written in
// tmpDir, a folder of the same share that the caller has made ("" for
// name's own folder), and renamed from there into place. A server that
// compares names without regard to case (Samba's default) reads a whole
// folder to make sure a new name is new: for the temporary twin of a file
// in a folder of thousands, that is a scan per write, which a small
// folder for temporaries spares (the final name exists, and is found at
// once). Measured with 3,334 instruction files per folder: smbd's CPU for
// 1,000 rewrites halves.
func ReplaceFileVia(ctx context.Context, fsys FS, tmpDir, name string, data []byte) error {
	n, err := CleanName(name)
	if err != nil {
		return err
	}
	if n == "." {
		return &fs.PathError{Op: "replace", Path: name, Err: fs.ErrInvalid}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("replace %s: %w", n, err)
	}
	tmp := tempName(n)
	if tmpDir != "" {
		d, err := CleanName(tmpDir)
		if err != nil {
			return err
		}
		tmp = path.Join(d, path.Base(tmp))
	}
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return fmt.Errorf("replace %s: %w", n, err)
	}
	// The size check is the count the server confirmed for the write: a
	// Stat on the handle asks go-smb2 for a reply as big as its largest
	// transaction, which fails ("invalid parameter") when many requests
	// share the session's credits.
	n2, err := f.Write(data)
	if err == nil && n2 != len(data) {
		err = fmt.Errorf("%s: the server took %d of %d bytes: %w", tmp, n2, len(data), errSizeMismatch)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, n)
	}
	if err != nil {
		_ = fsys.Remove(tmp)
		return fmt.Errorf("replace %s: %w", n, err)
	}
	return nil
}

// ReadSmallFile is ReadFile without asking for the file's size first: one
// round trip less, and safe to run many at once on one SMB session (with
// go-smb2 a Stat of an open handle, like a folder listing, asks for a
// reply as large as the session's largest transaction, which the server
// refuses with "invalid parameter" while other requests hold part of the
// session's credits). A file larger than max is refused.
func ReadSmallFile(fsys FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("read %s: it is more than the %d bytes allowed", name, max)
	}
	return b, nil
}
