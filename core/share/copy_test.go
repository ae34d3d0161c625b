package share

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// slowSource serves data, delaying the read at slowOff and failing the
// read at failOff, so later chunks finish before an earlier one fails.
type slowSource struct {
	data    []byte
	slowOff int64
	failOff int64
}

var errCut = errors.New("cut")

func (s *slowSource) ReadAt(b []byte, off int64) (int, error) {
	if off == s.slowOff {
		time.Sleep(50 * time.Millisecond)
	}
	if off == s.failOff {
		return 0, errCut
	}
	return copy(b, s.data[off:]), nil
}

func TestCopyAtOrderedLeavesNoGaps(t *testing.T) {
	const chunk = 64 << 10
	data := bytes.Repeat([]byte("0123456789abcdef"), 40*chunk/16)
	for _, ordered := range []bool{true, false} {
		dst, err := os.Create(filepath.Join(t.TempDir(), "part"))
		if err != nil {
			t.Fatal(err)
		}
		src := &slowSource{data: data, slowOff: 2 * chunk, failOff: 2 * chunk}
		written, err := copyAt(context.Background(), dst, src, 0, int64(len(data)), ordered, PutOptions{ChunkSize: chunk, Parallel: 4})
		if !errors.Is(err, errCut) {
			t.Fatalf("ordered=%v: err %v", ordered, err)
		}
		fi, _ := dst.Stat()
		got := make([]byte, fi.Size())
		_, _ = dst.ReadAt(got, 0)
		dst.Close()
		if ordered {
			// A prefix of the source, however the reads finished.
			if fi.Size() != 2*chunk || written != fi.Size() || !bytes.Equal(got, data[:fi.Size()]) {
				t.Fatalf("ordered: file of %d bytes (written %d), want a prefix of the source", fi.Size(), written)
			}
			continue
		}
		// Unordered: chunks after the failed one got written, leaving a gap
		// that only the window bounds; trusted backs off past it.
		if fi.Size() <= 3*chunk || fi.Size() > 2*chunk+4*chunk || written != fi.Size()-chunk {
			t.Fatalf("unordered: file of %d bytes, written %d", fi.Size(), written)
		}
		if !bytes.Equal(got[:2*chunk], data[:2*chunk]) || !bytes.Equal(got[2*chunk:3*chunk], make([]byte, chunk)) {
			t.Fatal("unordered: want the first two chunks, then the gap")
		}
		if keep, _ := trusted(bytes.NewReader(got), bytes.NewReader(data), fi.Size(), false); keep > 2*chunk {
			t.Fatalf("trusted keeps %d bytes, past the gap", keep)
		}
	}
}
