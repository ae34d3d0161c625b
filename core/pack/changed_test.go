package pack

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// hookWriter calls hook before the first write reaches it.
type hookWriter struct {
	hook func()
	n    int64
}

func (h *hookWriter) Write(p []byte) (int, error) {
	if h.hook != nil {
		h.hook()
		h.hook = nil
	}
	h.n += int64(len(p))
	return len(p), nil
}

// rewriteInPlace changes name's first bytes and time, keeping its size.
func rewriteInPlace(t *testing.T, name string) {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		t.Error(err)
		return
	}
	f.WriteAt([]byte("rewritten in place"), 0)
	f.Close()
	later := time.Now().Add(time.Hour)
	os.Chtimes(name, later, later)
}

// TestFileRewrittenWhilePacked is the packing case of issue 14's smaller
// findings: a file rewritten in place with the same size while it is read
// gave an archive that matched neither version, silently. Now the time
// tells, and Pack says which file changed. The file is larger than the
// frames the compressor holds, so its first compressed bytes leave before
// it is read to the end.
func TestFileRewrittenWhilePacked(t *testing.T) {
	src := t.TempDir()
	big := filepath.Join(src, "big.bin")
	data := make([]byte, 96<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(data)
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	w := &hookWriter{hook: func() { rewriteInPlace(t, big) }}
	_, err := Pack(context.Background(), src, w, Options{Concurrency: 2}) // at most 3 frames of 8 MiB in flight
	if !errors.Is(err, ErrChanged) || err.Error() != big+" changed while it was being packed" {
		t.Fatalf("Pack of a file rewritten meanwhile: %v", err)
	}
	// Left alone, the same folder packs.
	if _, err := Pack(context.Background(), src, &hookWriter{}, Options{}); err != nil {
		t.Fatal(err)
	}
}

// growingWriter appends to a file on its first write, while the file is
// still being read (it is larger than the frames in flight).
func growOnFirstWrite(t *testing.T, name string, by int) *hookWriter {
	return &hookWriter{hook: func() {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.Write(make([]byte, by))
		f.Close()
	}}
}

// TestFileGrowsOrShrinksWhilePacked: a file that grows or shrinks while
// it is read is refused with a sentence naming it, whether the change
// falls in its last read (one byte more than is left: a growth of one
// byte) or beyond; a file of a whole number of read buffers is checked
// too.
func TestFileGrowsOrShrinksWhilePacked(t *testing.T) {
	for _, tc := range []struct {
		size   int
		change int // bytes appended (> 0) or cut (< 0) while it is read
		want   string
	}{
		{40 << 20, 1, "grew"},
		{40 << 20, 5 << 20, "grew"},
		{40<<20 + 12345, 1, "grew"},
		{40 << 20, -(1 << 20), "shrank"},
	} {
		src := t.TempDir()
		big := filepath.Join(src, "big.bin")
		data := make([]byte, tc.size)
		rand.NewChaCha8([32]byte{5}).Read(data)
		if err := os.WriteFile(big, data, 0o644); err != nil {
			t.Fatal(err)
		}
		w := growOnFirstWrite(t, big, tc.change)
		if tc.change < 0 {
			w = &hookWriter{hook: func() { os.Truncate(big, int64(tc.size+tc.change)) }}
		}
		_, err := Pack(context.Background(), src, w, Options{Concurrency: 1})
		if !errors.Is(err, ErrRefused) || err.Error() != big+" "+tc.want+" while it was being packed; pack again when nothing writes to the source folder" {
			t.Errorf("size %d changed by %d: %v", tc.size, tc.change, err)
		}
	}
}
