package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// trusted returns how many bytes of an interrupted copy of length have
// (a temporary file on the share, or a local .part file) can be kept.
// Writes that were in flight when it stopped may have left gaps in its last
// MaxInFlight bytes, so those are dropped; the verifyTail bytes before that
// point are compared with src.
func trusted(part, src io.ReaderAt, have int64) (int64, error) {
	keep := have - MaxInFlight
	if keep <= 0 {
		return 0, nil
	}
	n := min(int64(verifyTail), keep)
	got := make([]byte, n)
	want := make([]byte, n)
	if _, err := readFull(part, got, keep-n); err != nil {
		return 0, err
	}
	if _, err := readFull(src, want, keep-n); err != nil {
		return 0, err
	}
	if !bytes.Equal(got, want) {
		return 0, nil
	}
	return keep, nil
}

// copyAt copies src[from:size] to dst at the same offsets with up to
// opt.Parallel reads and writes in flight, and returns the bytes written.
// In-flight chunks never span more than MaxInFlight bytes past the first
// unfinished one, which is what lets trusted resume after an interruption.
// opt.Progress is called from this goroutine with the bytes in place.
func copyAt(ctx context.Context, dst io.WriterAt, src io.ReaderAt, from, size int64, opt PutOptions) (int64, error) {
	chunk := int64(opt.ChunkSize)
	if chunk <= 0 {
		chunk = DefaultChunkSize
	}
	chunk = min(chunk, MaxInFlight)
	par := opt.Parallel
	if par <= 0 {
		par = DefaultParallel
	}
	window := min(int64(par), MaxInFlight/chunk) * chunk
	report := func(done int64) {
		if opt.Progress != nil {
			opt.Progress(done, size)
		}
	}
	report(from)
	if from >= size {
		return 0, nil
	}

	type result struct {
		off int64
		n   int
		err error
		buf []byte
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, window/chunk)
	var bufs [][]byte
	next := from                 // offset of the next chunk to start
	done := from                 // every byte below done is written
	pending := map[int64]int64{} // start -> end of chunks written above done
	inFlight := 0
	var written int64
	var firstErr error

	for {
		for firstErr == nil && next < size && ctx.Err() == nil && min(next+chunk, size)-done <= window {
			end := min(next+chunk, size)
			var buf []byte
			if l := len(bufs); l > 0 {
				buf, bufs = bufs[l-1], bufs[:l-1]
			} else {
				buf = make([]byte, chunk)
			}
			buf = buf[:end-next]
			inFlight++
			go func(off int64, b []byte) {
				n, err := readFull(src, b, off)
				if err == nil {
					n, err = dst.WriteAt(b, off)
					if err == nil && n < len(b) {
						err = io.ErrShortWrite
					}
				}
				results <- result{off: off, n: n, err: err, buf: b}
			}(next, buf)
			next = end
		}
		if inFlight == 0 {
			break
		}
		r := <-results
		inFlight--
		bufs = append(bufs, r.buf[:cap(r.buf)])
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		written += int64(r.n)
		pending[r.off] = r.off + int64(r.n)
		for end, ok := pending[done]; ok; end, ok = pending[done] {
			delete(pending, done)
			done = end
		}
		if firstErr == nil {
			report(done)
		}
	}
	if firstErr == nil && done < size {
		firstErr = context.Cause(ctx)
	}
	return written, firstErr
}

// readFull reads len(b) bytes of src at off; a short source is an error.
func readFull(src io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := src.ReadAt(b, off)
	if n == len(b) {
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = fmt.Errorf("source ended at %d bytes, before its stated size: %w", off+int64(n), io.ErrUnexpectedEOF)
	}
	return n, err
}
