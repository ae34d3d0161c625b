package share

import (
	"context"
	"fmt"
	"os"
)

// FetchResult tells what a fetch did.
type FetchResult struct {
	// Resumed counts bytes kept from an earlier, interrupted download.
	Resumed int64
	// Written counts bytes downloaded by this call.
	Written int64
}

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
	res.Written, err = copyAt(ctx, dst, src, from, size, true, PutOptions{Progress: progress})
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
