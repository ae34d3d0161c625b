package share

import (
	"fmt"
	"io"
	"os"
	"path"
	"sync"
)

// Stream writes a file to a share while it is being made, for a file
// whose final name is known only at the end: an archive, named by its
// hash, pushed while it is packed. Bytes go to a temporary name
// (dir/base.tmp-<token>) in order, with up to PutOptions.Parallel writes
// in flight that never span more than MaxInFlight bytes, as PutAtomic
// writes; Finish checks the size and renames the file into place, and
// until then readers ignore it.
//
// Write copies what it is given, so the caller may reuse its buffer at
// once; it blocks only while the writes in flight fill the window. After
// the first failed write every call returns that error.
type Stream struct {
	fsys     FS
	tmp      string
	f        File
	wa       io.WriterAt
	chunk    int
	progress func(done, total int64)

	cur  []byte // the chunk being filled
	sent int64  // bytes handed to writes (or in cur)

	mu      sync.Mutex
	cond    *sync.Cond
	free    [][]byte
	flying  int
	par     int
	done    int64           // every byte below done is on the share
	pending map[int64]int64 // writes finished above done: offset → length
	err     error
}

// StartStream creates dir (and its parents) and the temporary file
// dir/base.tmp-<token> in it. opt's ChunkSize, Parallel and Progress
// apply (Progress is called from Write's goroutine with a total of 0: the
// size is not known until Finish); Fresh has no meaning here.
func StartStream(fsys FS, dir, base string, opt PutOptions) (*Stream, error) {
	d, err := CleanName(dir)
	if err != nil {
		return nil, err
	}
	if d != "." {
		if err := fsys.MkdirAll(d); err != nil {
			return nil, fmt.Errorf("stream to %s: %w", d, err)
		}
	}
	tmp := tempName(path.Join(d, base))
	f, err := fsys.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return nil, fmt.Errorf("stream to %s: %w", tmp, err)
	}
	s := &Stream{fsys: fsys, tmp: tmp, f: f, chunk: opt.ChunkSize, par: opt.Parallel, progress: opt.Progress, pending: map[int64]int64{}}
	if s.chunk <= 0 {
		s.chunk = DefaultChunkSize
	}
	s.chunk = min(s.chunk, MaxInFlight)
	if s.par <= 0 {
		s.par = DefaultParallel
	}
	s.par = max(1, min(s.par, MaxInFlight/s.chunk))
	if wa, ok := f.(io.WriterAt); ok {
		s.wa = wa
	} else {
		s.wa, s.par = &seqWriter{w: f}, 1
	}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// Temp is the temporary file's name on the share.
func (s *Stream) Temp() string { return s.tmp }

// Write queues p to be written after what came before it.
func (s *Stream) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := s.failed(); err != nil {
			return n, err
		}
		if s.cur == nil {
			s.cur = s.buffer()
		}
		k := copy(s.cur[len(s.cur):s.chunk], p)
		s.cur = s.cur[:len(s.cur)+k]
		p, n = p[k:], n+k
		if len(s.cur) == s.chunk {
			s.send()
		}
	}
	return n, s.failed()
}

func (s *Stream) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// buffer waits for a free chunk buffer: at most Parallel writes are in
// flight, plus the chunk being filled, and the chunk to come ends no more
// than Parallel chunks past the first unwritten byte (so an interrupted
// stream has gaps only in its last MaxInFlight bytes, as PutAtomic's
// resume expects).
func (s *Stream) buffer() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	window := int64(s.par * s.chunk)
	for (s.flying >= s.par || s.sent+int64(s.chunk)-s.done > window) && s.err == nil {
		s.cond.Wait()
	}
	if l := len(s.free); l > 0 {
		b := s.free[l-1]
		s.free = s.free[:l-1]
		return b[:0]
	}
	return make([]byte, 0, s.chunk)
}

// send starts the write of the filled chunk.
func (s *Stream) send() {
	b, off := s.cur, s.sent
	s.cur = nil
	s.sent += int64(len(b))
	s.mu.Lock()
	s.flying++
	s.mu.Unlock()
	go func() { // ends when the write returns; Finish and Abort wait for it
		err := writeAll(s.wa, b, off)
		s.mu.Lock()
		s.flying--
		if err != nil && s.err == nil {
			s.err = err
		}
		s.pending[off] = int64(len(b))
		for l, ok := s.pending[s.done]; ok; l, ok = s.pending[s.done] {
			delete(s.pending, s.done)
			s.done += l
		}
		s.free = append(s.free, b)
		s.cond.Broadcast()
		s.mu.Unlock()
	}()
	if s.progress != nil {
		s.mu.Lock()
		done := s.done
		s.mu.Unlock()
		s.progress(done, 0)
	}
}

// wait sends the last, partial chunk and waits for every write.
func (s *Stream) wait() error {
	if len(s.cur) > 0 && s.failed() == nil {
		s.send()
	}
	s.cur = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.flying > 0 {
		s.cond.Wait()
	}
	return s.err
}

// Finish writes what is left, checks that the file holds every byte
// written, and renames it to name (replacing a file there). It returns the
// size. On an error the temporary file is left for Abort or Keep.
func (s *Stream) Finish(name string) (int64, error) {
	n, err := CleanName(name)
	if err != nil {
		return 0, err
	}
	err = s.wait()
	if cerr := s.close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = checkSize(s.fsys, s.tmp, s.sent)
	}
	if err == nil {
		err = s.fsys.Rename(s.tmp, n)
	}
	if err != nil {
		return 0, fmt.Errorf("stream to %s: %w", n, err)
	}
	if s.progress != nil {
		s.progress(s.sent, s.sent)
	}
	return s.sent, nil
}

func (s *Stream) close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// Abort waits for the writes in flight and removes the temporary file.
// It returns the first error the stream met, if any.
func (s *Stream) Abort() error {
	err := s.wait()
	s.close()
	if rerr := s.fsys.Remove(s.tmp); rerr != nil && err == nil {
		err = rerr
	}
	return err
}

// Keep waits for the writes in flight and closes the temporary file,
// leaving it for a PutAtomic of the final name to resume, once that name
// is known (see PutOptions.Adopt). It returns the first error the stream
// met.
func (s *Stream) Keep() error {
	err := s.wait()
	if cerr := s.close(); err == nil {
		err = cerr
	}
	return err
}
