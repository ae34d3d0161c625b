package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// FetchResult tells what a fetch did.
type FetchResult struct {
	// Resumed counts bytes kept from an earlier, interrupted download.
	Resumed int64
	// Written counts bytes downloaded by this call.
	Written int64
}

// fetchChunk is the size of one read from the share.
const fetchChunk = 1 << 20

// Fetch downloads name from the share to the local file dstPath. It writes
// dstPath.part first and renames it when complete, so dstPath is either
// absent or whole. An earlier, interrupted download's dstPath.part is
// resumed from its size after its last bytes are compared with the share.
// A size of -1 means "whatever the share holds"; any other size must match
// the share's file. progress, if set, gets the bytes in place and the total.
// On a cancelled ctx or a transient error the .part file stays for the
// next attempt.
func Fetch(ctx context.Context, fsys FS, name, dstPath string, size int64, progress func(done, total int64)) (FetchResult, error) {
	var res FetchResult
	fail := func(err error) (FetchResult, error) {
		return res, fmt.Errorf("fetch %s to %s: %w", name, dstPath, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	src, err := fsys.Open(name)
	if err != nil {
		return fail(err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return fail(err)
	}
	if size < 0 {
		size = fi.Size()
	}
	if fi.Size() != size {
		return fail(fmt.Errorf("the share's file is %d bytes, expected %d", fi.Size(), size))
	}

	part := dstPath + ".part"
	dst, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fail(err)
	}
	closed := false
	defer func() {
		if !closed {
			_ = dst.Close()
		}
	}()
	st, err := dst.Stat()
	if err != nil {
		return fail(err)
	}
	from, err := resumablePart(dst, src, st.Size(), size)
	if err != nil {
		return fail(err)
	}
	if err := dst.Truncate(from); err != nil {
		return fail(err)
	}
	res.Resumed = from

	buf := make([]byte, fetchChunk)
	off := from
	if progress != nil {
		progress(off, size)
	}
	for off < size {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		b := buf[:min(int64(len(buf)), size-off)]
		n, err := src.ReadAt(b, off)
		if n > 0 {
			if _, werr := dst.WriteAt(b[:n], off); werr != nil {
				return fail(werr)
			}
			off += int64(n)
			res.Written += int64(n)
			if progress != nil {
				progress(off, size)
			}
		}
		if err != nil && !(errors.Is(err, io.EOF) && n == len(b)) {
			if errors.Is(err, io.EOF) {
				err = fmt.Errorf("the share's file ended at %d bytes, expected %d: %w", off, size, io.ErrUnexpectedEOF)
			}
			return fail(err)
		}
	}
	if err := dst.Sync(); err != nil {
		return fail(err)
	}
	closed = true
	if err := dst.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(part, dstPath); err != nil {
		return fail(err)
	}
	return res, nil
}

// resumablePart returns how much of a local partial download of length
// have can be kept: all of it when its last bytes match the share's, else
// none. Reads are in order, so a .part file has no gaps.
func resumablePart(part *os.File, src io.ReaderAt, have, size int64) (int64, error) {
	if have <= 0 || have > size {
		return 0, nil
	}
	n := min(int64(verifyTail), have)
	got := make([]byte, n)
	want := make([]byte, n)
	if _, err := part.ReadAt(got, have-n); err != nil {
		return 0, nil
	}
	if _, err := src.ReadAt(want, have-n); err != nil && !errors.Is(err, io.EOF) {
		return 0, err
	}
	if !bytes.Equal(got, want) {
		return 0, nil
	}
	return have, nil
}
