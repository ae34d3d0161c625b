// Package packtest makes archives for tests of what checks them.
package packtest

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"testing"

	"opensms/core/pack"
)

// skippableFrame is the magic of a zstd skippable frame (RFC 8878 3.1.2),
// which every decoder passes over.
const skippableFrame = 0x184D2A50

// Substitute packs the tree src and pads the archive to exactly size bytes
// with a zstd skippable frame: a valid archive of another tree, as big as
// the one a site signed, that only its SHA-256 tells apart. Tests put it
// where the signed archive was, so that a client which skipped the hash
// check would unpack and run it. It fails the test if the tree packs to
// more than size-8 bytes, or if the result does not unpack.
func Substitute(t testing.TB, src string, size int64) []byte {
	t.Helper()
	dir := t.TempDir()
	_, p, err := pack.PackFile(context.Background(), src, dir, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pad := size - int64(len(b))
	if pad < 8 {
		t.Fatalf("packtest: %s packs to %d bytes, too many to pass for an archive of %d", src, len(b), size)
	}
	frame := make([]byte, pad)
	binary.LittleEndian.PutUint32(frame, skippableFrame)
	binary.LittleEndian.PutUint32(frame[4:], uint32(pad-8))
	b = append(b, frame...)
	if _, err := pack.Unpack(context.Background(), bytes.NewReader(b), t.TempDir(), pack.UnpackOptions{}); err != nil {
		t.Fatalf("packtest: the substitute archive does not unpack: %v", err)
	}
	return b
}
