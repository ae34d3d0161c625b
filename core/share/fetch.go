package share

import (
	"context"
	"fmt"
	"hash"
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

// FetchOptions tune FetchWith. The zero value is what Fetch does.
type FetchOptions struct {
	// Progress, if set, gets the bytes in place and the total.
	Progress func(done, total int64)
	// Hash, if set, is fed the whole file in order as it is written
	// (bytes resumed from an earlier download are read back from the
	// .part file first), so that a caller can check a signed digest
	// without reading the file a second time. Its state is undefined
	// after an error.
	Hash hash.Hash
	// ChunkSize is the size of one read; default DefaultChunkSize
	// (go-smb2 splits larger reads into 1 MiB requests anyway).
	ChunkSize int
	// Parallel is how many reads may be in flight; default
	// DefaultFetchParallel.
	Parallel int
}

// DefaultFetchParallel is how many reads a fetch keeps in flight: enough to
// hide an SMB server's round trip behind the transfer of the others.
const DefaultFetchParallel = DefaultParallel

// Fetch downloads name from the share to the local file dstPath. It writes
// dstPath.part first and renames it when complete, so dstPath is either
// absent or whole. Reads run in parallel but the .part file is written in
// order, so an earlier, interrupted download's dstPath.part is resumed from
// its size once its last bytes match the share's.
// A size of -1 means "whatever the share holds"; any other size must match
// the share's file. progress, if set, gets the bytes in place and the total.
// On a cancelled ctx or a transient error the .part file stays for the
// next attempt.
func Fetch(ctx context.Context, fsys FS, name, dstPath string, size int64, progress func(done, total int64)) (FetchResult, error) {
	return FetchWith(ctx, fsys, name, dstPath, size, FetchOptions{Progress: progress})
}

// FetchWith is Fetch with options: a hash fed while downloading, and the
// reads in flight.
func FetchWith(ctx context.Context, fsys FS, name, dstPath string, size int64, opt FetchOptions) (FetchResult, error) {
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
	from := int64(0)
	if st.Size() <= size {
		if from, err = trusted(dst, src, st.Size(), true); err != nil {
			return fail(err)
		}
	}
	if err := dst.Truncate(from); err != nil {
		return fail(err)
	}
	res.Resumed = from
	var w io.WriterAt = dst
	if opt.Hash != nil {
		// A plain reader keeps io.Copy from handing the hash to a WriterTo
		// that would allocate its own buffer.
		if _, err := io.CopyBuffer(opt.Hash, struct{ io.Reader }{io.NewSectionReader(dst, 0, from)}, make([]byte, 256<<10)); err != nil {
			return fail(fmt.Errorf("reading back the partial download: %w", err))
		}
		w = &hashingWriter{w: dst, h: opt.Hash, off: from}
	}
	par := opt.Parallel
	if par <= 0 {
		par = DefaultFetchParallel
	}
	res.Written, err = copyAt(ctx, w, src, from, size, true, PutOptions{Progress: opt.Progress, ChunkSize: opt.ChunkSize, Parallel: par})
	if err != nil {
		return fail(err)
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

// hashingWriter feeds a hash what it writes; the writes must come in order,
// as copyAt makes them when ordered.
type hashingWriter struct {
	w   io.WriterAt
	h   hash.Hash
	off int64
}

func (hw *hashingWriter) WriteAt(b []byte, off int64) (int, error) {
	if off != hw.off {
		return 0, fmt.Errorf("hashing a download: write at %d, expected %d", off, hw.off)
	}
	n, err := hw.w.WriteAt(b, off)
	hw.h.Write(b[:n])
	hw.off += int64(n)
	return n, err
}
