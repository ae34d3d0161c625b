package pack

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"
)

var (
	fuzzEncOnce sync.Once
	fuzzEnc     *zstd.Encoder
)

// fuzzSeeds are the crafted archives of the refusal table (as plain tar)
// and a small real package.
func fuzzSeeds(t testing.TB) map[string][]byte {
	seeds := map[string][]byte{}
	for _, tc := range unpackCases() {
		seeds[strings.NewReplacer(" ", "-", "/", "").Replace(tc.name)] = tarOf(t, tc.entries...)
	}
	seeds["small-package"] = tarOf(t,
		tarEntry{name: "bin/", typ: '5'},
		tarEntry{name: "bin/run.sh", typ: '0', body: "#!/bin/sh\necho hi\n"},
		tarEntry{name: "data/a.txt", typ: '0', body: "a"},
		tarEntry{name: "data/link", typ: '2', link: "a.txt"},
		tarEntry{name: "data/hard", typ: '1', link: "data/a.txt"},
	)
	return seeds
}

// FuzzUnpack feeds arbitrary bytes to Unpack both as they are and
// compressed (so the fuzzer reaches the tar checks). Nothing may panic, and
// nothing may appear outside the package folder.
func FuzzUnpack(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	fuzzEncOnce.Do(func() {
		var err error
		if fuzzEnc, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1)); err != nil {
			f.Fatal(err)
		}
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "cache", "S0100012")
		for _, in := range [][]byte{data, fuzzEnc.EncodeAll(data, nil)} {
			Unpack(context.Background(), bytes.NewReader(in), dst, UnpackOptions{MaxBytes: 4 << 20, MaxFiles: 1000})
			if out := outsideFiles(t, parent, dst); len(out) > 0 {
				t.Fatalf("Unpack wrote outside the package folder: %v", out)
			}
			if err := os.RemoveAll(dst); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestWriteFuzzSeeds refreshes testdata/fuzz/FuzzUnpack from the refusal
// table when OPENSMS_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("OPENSMS_WRITE_SEEDS") != "1" {
		t.Skip("set OPENSMS_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzUnpack")
	must(t, os.MkdirAll(dir, 0o755))
	for name, data := range fuzzSeeds(t) {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)), 0o644))
	}
}
