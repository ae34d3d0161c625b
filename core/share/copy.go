package share

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// trusted returns how many bytes of an interrupted copy of length have can
// be kept. When the copy wrote out of order (a temporary file on a share)
// the writes in flight when it stopped may have left gaps in its last
// MaxInFlight bytes, so those are dropped; an ordered copy (a local .part
// file) has none. The verifyTail bytes before the point kept are compared
// with src.
func trusted(part, src io.ReaderAt, have int64, ordered bool) (int64, error) {
	keep := have
	if !ordered {
		keep -= MaxInFlight
	}
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
// opt.Parallel chunks in flight, and returns the bytes written. In-flight
// chunks never span more than MaxInFlight bytes past the first unfinished
// one, which is what lets trusted resume after an interruption. With
// ordered, only the reads run in parallel and dst is written strictly in
// order, so an interrupted dst has no gaps at all. opt.Progress is called
// from this goroutine with the bytes in place.
func copyAt(ctx context.Context, dst io.WriterAt, src io.ReaderAt, from, size int64, ordered bool, opt PutOptions) (int64, error) {
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
		off     int64
		buf     []byte
		err     error
		written bool // by the worker; else the loop below writes it
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, window/chunk)
	var bufs [][]byte
	next := from                  // offset of the next chunk to start
	done := from                  // every byte below done is written
	pending := map[int64]result{} // chunks finished above done, by offset
	inFlight := 0
	var written int64
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
			cancel()
		}
	}

	for {
		for firstErr == nil && next < size && ctx.Err() == nil && min(next+chunk, size)-done <= window {
			end := min(next+chunk, size)
			var buf []byte
			if l := len(bufs); l > 0 {
				buf, bufs = bufs[l-1], bufs[:l-1]
			} else {
				buf = make([]byte, chunk)
			}
			inFlight++
			go func(off int64, b []byte) {
				r := result{off: off, buf: b}
				_, r.err = readFull(src, b, off)
				if r.err == nil && !ordered {
					r.err = writeAll(dst, b, off)
					r.written = true
				}
				results <- r
			}(next, buf[:end-next])
			next = end
		}
		if inFlight == 0 {
			break
		}
		r := <-results
		inFlight--
		if r.err != nil {
			fail(r.err)
			bufs = append(bufs, r.buf[:cap(r.buf)])
			continue
		}
		pending[r.off] = r
		for p, ok := pending[done]; ok && firstErr == nil; p, ok = pending[done] {
			delete(pending, done)
			if !p.written {
				if err := writeAll(dst, p.buf, p.off); err != nil {
					fail(err)
					break
				}
			}
			written += int64(len(p.buf))
			done += int64(len(p.buf))
			bufs = append(bufs, p.buf[:cap(p.buf)])
		}
		if firstErr == nil {
			report(done)
		}
	}
	if !ordered {
		// Chunks written out of order above done count too.
		for _, p := range pending {
			written += int64(len(p.buf))
		}
	}
	if firstErr == nil && done < size {
		firstErr = context.Cause(ctx)
	}
	return written, firstErr
}

func writeAll(dst io.WriterAt, b []byte, off int64) error {
	n, err := dst.WriteAt(b, off)
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	return err
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
