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
	w := &hookWriter{hook: func() {
		f, err := os.OpenFile(big, os.O_WRONLY, 0)
		if err != nil {
			t.Error(err)
			return
		}
		f.WriteAt([]byte("rewritten in place"), 0)
		f.Close()
		later := time.Now().Add(time.Hour)
		os.Chtimes(big, later, later)
	}}
	_, err := Pack(context.Background(), src, w, Options{Concurrency: 2}) // at most 3 frames of 8 MiB in flight
	if !errors.Is(err, ErrChanged) || err.Error() != big+" changed while it was being packed" {
		t.Fatalf("Pack of a file rewritten meanwhile: %v", err)
	}
	// Left alone, the same folder packs.
	if _, err := Pack(context.Background(), src, &hookWriter{}, Options{}); err != nil {
		t.Fatal(err)
	}
}
