package pack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
// compressed (so the fuzzer reaches the tar checks), and checks what any
// outcome must hold: nothing panics; nothing appears outside the package
// folder; no link in it resolves outside it (as os.Root, an independent
// judge, resolves it) or names an absolute, drive or backslash target a
// Windows client would follow out; the file and byte limits hold on disk
// and in the stats; and an input refused is an error, never a success
// that left the refused thing behind.
func FuzzUnpack(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	// Past the limits below: more entries, more bytes.
	var many []tarEntry
	for i := range 60 {
		many = append(many, tarEntry{name: fmt.Sprintf("f%02d", i), typ: '0', body: "x"})
	}
	f.Add(tarOf(f, many...))
	f.Add(tarOf(f, tarEntry{name: "big.bin", typ: '0', body: strings.Repeat("OpenSMS ", 10<<10)}))
	fuzzEncOnce.Do(func() {
		var err error
		if fuzzEnc, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1)); err != nil {
			f.Fatal(err)
		}
	})
	const maxBytes, maxFiles = 64 << 10, 50
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "cache", "S0100012")
		for _, in := range [][]byte{data, fuzzEnc.EncodeAll(data, nil)} {
			st, err := Unpack(context.Background(), bytes.NewReader(in), dst, UnpackOptions{MaxBytes: maxBytes, MaxFiles: maxFiles})
			if out := outsideFiles(t, parent, dst); len(out) > 0 {
				t.Fatalf("Unpack wrote outside the package folder: %v (error %v)", out, err)
			}
			if st.Files+st.Dirs+st.Links > maxFiles || st.Bytes > maxBytes || st.Bytes < 0 {
				t.Fatalf("stats %+v past the limits of %d entries and %d bytes (error %v)", st, maxFiles, maxBytes, err)
			}
			tree := lookAt(t, dst)
			if tree.entries > maxFiles || tree.bytes > maxBytes {
				t.Fatalf("on disk %d entries and %d bytes, past the limits of %d and %d (error %v)", tree.entries, tree.bytes, maxFiles, maxBytes, err)
			}
			if err == nil {
				// A success leaves nothing that should have been refused.
				if len(tree.bad) > 0 {
					t.Fatalf("Unpack succeeded and left %v", tree.bad)
				}
				if tree.bytes > st.Bytes {
					t.Fatalf("Unpack reported %d bytes and wrote %d", st.Bytes, tree.bytes)
				}
			} else if !errors.Is(err, ErrRefused) && !strings.Contains(err.Error(), "damaged or not an OpenSMS archive") &&
				!strings.Contains(err.Error(), "unpacking into") && !strings.Contains(err.Error(), "cannot ") {
				t.Fatalf("Unpack's error is no sentence that says what was refused: %v", err)
			}
			if err := os.RemoveAll(dst); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// unpacked is what lookAt found in a package folder.
type unpacked struct {
	entries int
	bytes   int64
	bad     []string // links that leave the folder, devices, pipes
	files   []fs.FileInfo
}

// lookAt walks dst without following links and judges every link with
// os.Root, which refuses to resolve a path that leaves its folder.
func lookAt(t *testing.T, dst string) unpacked {
	t.Helper()
	var u unpacked
	root, err := os.OpenRoot(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return u
	}
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	err = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dst {
			return err
		}
		u.entries++
		rel, _ := filepath.Rel(dst, p)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch m := fi.Mode(); {
		case m.IsRegular():
			// A hard link's bytes count once, as Unpack counts them.
			if !slices.ContainsFunc(u.files, func(o fs.FileInfo) bool { return os.SameFile(o, fi) }) {
				u.bytes += fi.Size()
			}
			u.files = append(u.files, fi)
		case m&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) || strings.ContainsRune(target, '\\') || (len(target) > 1 && target[1] == ':') {
				u.bad = append(u.bad, fmt.Sprintf("link %s -> %s, which a Windows client would follow out", rel, target))
			}
			if _, err := root.Stat(rel); err != nil && !errors.Is(err, fs.ErrNotExist) {
				// "path escapes from parent", or a loop of links.
				u.bad = append(u.bad, fmt.Sprintf("link %s -> %s: %v", rel, target, err))
			}
		case m.IsDir():
		default:
			u.bad = append(u.bad, fmt.Sprintf("%s, a %v", rel, m.Type()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
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
