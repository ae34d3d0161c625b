// Package sharetest is the conformance suite every share.FS passes: the
// same tests run against a local folder and a real Samba share, so that core
// can rely on one behaviour.
package sharetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/share"
)

// Run runs the suite. open must return an FS rooted at a new, empty folder
// each time it is called; the suite closes it.
func Run(t *testing.T, open func(t *testing.T) share.FS) {
	tests := []struct {
		name string
		fn   func(t *testing.T, fsys share.FS)
	}{
		{"CreateReadStat", testCreateReadStat},
		{"FileOffsets", testFileOffsets},
		{"NotExist", testNotExist},
		{"Exclusive", testExclusive},
		{"ReadDir", testReadDir},
		{"RenameReplaces", testRenameReplaces},
		{"Remove", testRemove},
		{"MkdirAll", testMkdirAll},
		{"Names", testNames},
		{"EscapingNamesRefused", testEscapingNames},
		{"PutAtomic", testPutAtomic},
		{"PutAtomicNeverPartial", testPutNeverPartial},
		{"PutAtomicResumes", testPutResumes},
		{"PutAtomicDistrustsDamagedTemp", testPutDamagedTemp},
		{"PutAtomicPermanentErrorRemovesTemp", testPutPermanent},
		{"PutAtomicConcurrent", testPutConcurrent},
		{"WriteReadFile", testWriteReadFile},
		{"Fetch", testFetch},
		{"PutTree", testPutTree},
		{"SweepTemps", testSweepTemps},
		{"Stream", testStream},
		{"StreamAbort", testStreamAbort},
		{"StreamCutThenPutAdopts", testStreamCutThenPutAdopts},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := open(t)
			t.Cleanup(func() { _ = fsys.Close() })
			tc.fn(t, fsys)
		})
	}
}

// payload returns n reproducible, incompressible bytes.
func payload(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n - n%8; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustWrite(t *testing.T, fsys share.FS, name string, data []byte) {
	t.Helper()
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func mustRead(t *testing.T, fsys share.FS, name string) []byte {
	t.Helper()
	f, err := fsys.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return b
}

func names(t *testing.T, fsys share.FS, dir string) []string {
	t.Helper()
	list, err := fsys.ReadDir(dir)
	if err != nil {
		t.Fatalf("ReadDir %s: %v", dir, err)
	}
	var out []string
	for _, fi := range list {
		out = append(out, fi.Name())
	}
	sort.Strings(out)
	return out
}

func testCreateReadStat(t *testing.T, fsys share.FS) {
	data := payload(100_000, 1)
	mustWrite(t, fsys, "a.bin", data)
	if got := mustRead(t, fsys, "a.bin"); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, differing from the %d written", len(got), len(data))
	}
	fi, err := fsys.Stat("a.bin")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Name() != "a.bin" || fi.Size() != int64(len(data)) || fi.IsDir() {
		t.Fatalf("Stat = %q size %d dir %v", fi.Name(), fi.Size(), fi.IsDir())
	}
	if fi, err := fsys.Stat("."); err != nil || !fi.IsDir() {
		t.Fatalf("Stat(.) = %v, %v", fi, err)
	}
	f, err := fsys.Open("a.bin")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("File.Stat = %v, %v", fi, err)
	}
}

func testFileOffsets(t *testing.T, fsys share.FS) {
	f, err := fsys.OpenFile("o.bin", os.O_RDWR|os.O_CREATE)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("hello, world")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(7, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("WORLD")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 5)
	if _, err := f.ReadAt(b, 0); err != nil || string(b) != "hello" {
		t.Fatalf("ReadAt = %q, %v", b, err)
	}
	if err := f.Truncate(5); err != nil {
		t.Fatal(err)
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 5 {
		t.Fatalf("size after Truncate = %v, %v", fi, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(f)
	if err != nil || string(all) != "hello" {
		t.Fatalf("after Truncate: %q, %v", all, err)
	}
}

func testNotExist(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "there", nil)
	checks := map[string]error{}
	_, checks["Stat"] = fsys.Stat("missing")
	_, checks["Stat in missing folder"] = fsys.Stat("nodir/missing")
	_, checks["Open"] = fsys.Open("missing")
	_, checks["OpenFile without O_CREATE"] = fsys.OpenFile("missing", os.O_RDWR)
	_, checks["ReadDir"] = fsys.ReadDir("missing")
	checks["Remove"] = fsys.Remove("missing")
	checks["Rename"] = fsys.Rename("missing", "there")
	for op, err := range checks {
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: error %v does not wrap fs.ErrNotExist", op, err)
		}
		if share.IsPermanent(err) {
			t.Errorf("%s: a missing file is not a permanent share error: %v", op, err)
		}
	}
	if err := fsys.RemoveAll("missing"); err != nil {
		t.Errorf("RemoveAll of a missing name: %v", err)
	}
}

func testExclusive(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "x", []byte("1"))
	_, err := fsys.OpenFile("x", os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("O_EXCL on an existing file: %v, want fs.ErrExist", err)
	}
	f, err := fsys.OpenFile("y", os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func testReadDir(t *testing.T, fsys share.FS) {
	if err := fsys.MkdirAll("d/sub"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fsys, "d/one", []byte("1"))
	mustWrite(t, fsys, "d/two", []byte("22"))
	list, err := fsys.ReadDir("d")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, fi := range list {
		got[fi.Name()] = fmt.Sprintf("dir=%v size=%d", fi.IsDir(), fi.Size())
		if fi.IsDir() {
			got[fi.Name()] = "dir"
		}
	}
	want := map[string]string{"one": "dir=false size=1", "two": "dir=false size=2", "sub": "dir"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ReadDir(d) = %v, want %v (no . or ..)", got, want)
	}
	if n := names(t, fsys, ""); !slices.Equal(n, []string{"d"}) {
		t.Fatalf("ReadDir of the root = %v", n)
	}
	if _, err := fsys.ReadDir("d/one"); err == nil {
		t.Fatal("ReadDir of a file worked")
	}
}

func testRenameReplaces(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "old", []byte("new content"))
	mustWrite(t, fsys, "target", []byte("previous content, longer"))
	if err := fsys.Rename("old", "target"); err != nil {
		t.Fatalf("Rename over an existing file: %v", err)
	}
	if got := mustRead(t, fsys, "target"); string(got) != "new content" {
		t.Fatalf("target holds %q", got)
	}
	if _, err := fsys.Stat("old"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("old still there: %v", err)
	}
	if n := names(t, fsys, "."); !slices.Equal(n, []string{"target"}) {
		t.Fatalf("left behind: %v", n)
	}
	// Into another folder, and a folder itself.
	if err := fsys.MkdirAll("a/b"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("target", "a/b/moved"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Rename("a/b", "c"); err != nil {
		t.Fatalf("rename a folder: %v", err)
	}
	if got := mustRead(t, fsys, "c/moved"); string(got) != "new content" {
		t.Fatalf("c/moved holds %q", got)
	}
}

func testRemove(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "f", []byte("x"))
	if err := fsys.Remove("f"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.MkdirAll("t/u/v"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fsys, "t/u/v/w", []byte("x"))
	mustWrite(t, fsys, "t/top", []byte("x"))
	if err := fsys.Remove("t"); err == nil {
		t.Fatal("Remove of a folder with content worked")
	}
	if err := fsys.RemoveAll("t"); err != nil {
		t.Fatal(err)
	}
	if n := names(t, fsys, "."); len(n) != 0 {
		t.Fatalf("left after RemoveAll: %v", n)
	}
	if err := fsys.MkdirAll("empty"); err != nil {
		t.Fatal(err)
	}
	if err := fsys.Remove("empty"); err != nil {
		t.Fatalf("Remove of an empty folder: %v", err)
	}
	if err := fsys.RemoveAll("."); err == nil {
		t.Fatal("RemoveAll of the root worked")
	}
}

func testMkdirAll(t *testing.T, fsys share.FS) {
	for range 2 { // the second time everything exists
		if err := fsys.MkdirAll("p/q/r"); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := fsys.Stat("p/q/r"); err != nil || !fi.IsDir() {
		t.Fatalf("Stat = %v, %v", fi, err)
	}
	if err := fsys.MkdirAll("."); err != nil {
		t.Fatalf("MkdirAll(.): %v", err)
	}
	mustWrite(t, fsys, "p/file", nil)
	if err := fsys.MkdirAll("p/file/x"); err == nil {
		t.Fatal("MkdirAll through a file worked")
	}
}

func testNames(t *testing.T, fsys share.FS) {
	for _, name := range []string{"with space.txt", "ünïcödé ✓.txt", "日本語/ファイル.bin", "dots.in.name", "a/./b//c.txt"} {
		if dir := path.Dir(path.Clean(name)); dir != "." {
			if err := fsys.MkdirAll(dir); err != nil {
				t.Fatalf("MkdirAll %q: %v", dir, err)
			}
		}
		mustWrite(t, fsys, name, []byte(name))
		if got := mustRead(t, fsys, name); string(got) != name {
			t.Errorf("%q holds %q", name, got)
		}
	}
	got := names(t, fsys, ".")
	want := []string{"a", "dots.in.name", "with space.txt", "ünïcödé ✓.txt", "日本語"}
	if !slices.Equal(got, want) {
		t.Fatalf("root holds %q, want %q", got, want)
	}
	if n := names(t, fsys, "日本語"); !slices.Equal(n, []string{"ファイル.bin"}) {
		t.Fatalf("日本語 holds %q", n)
	}
}

func testEscapingNames(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "ok", nil)
	for _, name := range []string{"..", "../x", "a/../../x", "/etc/passwd", `a\b`, `..\x`, "a\x00b"} {
		ops := map[string]error{}
		_, ops["Stat"] = fsys.Stat(name)
		_, ops["Open"] = fsys.Open(name)
		_, ops["OpenFile"] = fsys.OpenFile(name, os.O_RDWR|os.O_CREATE)
		_, ops["ReadDir"] = fsys.ReadDir(name)
		ops["MkdirAll"] = fsys.MkdirAll(name)
		ops["Rename from"] = fsys.Rename(name, "ok2")
		ops["Rename to"] = fsys.Rename("ok", name)
		ops["Remove"] = fsys.Remove(name)
		ops["RemoveAll"] = fsys.RemoveAll(name)
		for op, err := range ops {
			if !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("%s(%q) = %v, want an error wrapping fs.ErrInvalid", op, name, err)
			}
		}
	}
	if _, err := fsys.Stat("ok"); err != nil {
		t.Fatalf("ok is gone: %v", err)
	}
}

func testPutAtomic(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	for _, size := range []int{0, 1, 5<<20 + 17} {
		data := payload(size, uint64(size))
		name := fmt.Sprintf("pkg/S01000%d.tzst", size)
		var calls, last int64
		res, err := share.PutAtomic(ctx, fsys, name, bytes.NewReader(data), int64(size), share.PutOptions{
			ChunkSize: 256 << 10, Parallel: 4,
			Progress: func(done, total int64) {
				calls++
				if done < last || total != int64(size) {
					t.Errorf("progress went %d -> %d of %d", last, done, total)
				}
				last = done
			},
		})
		if err != nil {
			t.Fatalf("PutAtomic %d bytes: %v", size, err)
		}
		if res.Resumed != 0 || res.Written != int64(size) {
			t.Errorf("PutAtomic %d bytes: %+v", size, res)
		}
		if last != int64(size) || calls == 0 {
			t.Errorf("progress ended at %d after %d calls", last, calls)
		}
		if got := mustRead(t, fsys, name); !bytes.Equal(got, data) {
			t.Fatalf("%s differs after PutAtomic", name)
		}
	}
	// Replacing an existing file.
	if err := share.WriteFileAtomic(ctx, fsys, "pkg/S010001.tzst", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, fsys, "pkg/S010001.tzst"); string(got) != "v2" {
		t.Fatalf("after replace: %q", got)
	}
	for _, n := range names(t, fsys, "pkg") {
		if share.IsTemp(n) {
			t.Errorf("temporary file left: %s", n)
		}
	}
	// A source shorter than the stated size fails and leaves no final name.
	_, err := share.PutAtomic(ctx, fsys, "short", bytes.NewReader([]byte("abc")), 10, share.PutOptions{})
	if err == nil {
		t.Fatal("PutAtomic of a short source worked")
	}
	if _, err := fsys.Stat("short"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("short exists after a failed put: %v", err)
	}
}

// watchFS calls hook before every write to a file it opened.
type watchFS struct {
	share.FS
	hook func()
}

func (w *watchFS) OpenFile(name string, flag int) (share.File, error) {
	f, err := w.FS.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return &watchFile{File: f, hook: w.hook}, nil
}

type watchFile struct {
	share.File
	hook func()
}

func (f *watchFile) WriteAt(b []byte, off int64) (int, error) {
	f.hook()
	return f.File.(io.WriterAt).WriteAt(b, off)
}

func testPutNeverPartial(t *testing.T, fsys share.FS) {
	data := payload(3<<20, 7)
	var mu sync.Mutex
	looks := 0
	w := &watchFS{FS: fsys, hook: func() {
		mu.Lock()
		defer mu.Unlock()
		looks++
		if _, err := fsys.Stat("out/final.bin"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("final name visible during the put: %v", err)
		}
		list, err := fsys.ReadDir("out")
		if err != nil {
			t.Errorf("listing during the put: %v", err)
			return
		}
		for _, fi := range list {
			if !share.IsTemp(fi.Name()) {
				t.Errorf("a reader ignoring temporary files sees %s during the put", fi.Name())
			}
		}
	}}
	if _, err := share.PutAtomic(context.Background(), w, "out/final.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{ChunkSize: 512 << 10}); err != nil {
		t.Fatal(err)
	}
	if looks < 6 {
		t.Fatalf("only %d writes watched", looks)
	}
	if got := mustRead(t, fsys, "out/final.bin"); !bytes.Equal(got, data) {
		t.Fatal("content differs")
	}
}

// FaultFS wraps an FS so that writes fail with Err once Limit bytes have
// been written through it, as a server that goes away mid-transfer would.
type FaultFS struct {
	share.FS
	Limit int64
	Err   error

	mu      sync.Mutex
	written int64
}

// OpenFile opens name with writes that count towards the limit.
func (f *FaultFS) OpenFile(name string, flag int) (share.File, error) {
	file, err := f.FS.OpenFile(name, flag)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

// Written is how many bytes went through before the fault.
func (f *FaultFS) Written() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

type faultFile struct {
	share.File
	fs *FaultFS
}

func (f *faultFile) WriteAt(b []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	if f.fs.written+int64(len(b)) > f.fs.Limit {
		f.fs.mu.Unlock()
		return 0, f.fs.Err
	}
	f.fs.written += int64(len(b))
	f.fs.mu.Unlock()
	return f.File.(io.WriterAt).WriteAt(b, off)
}

func (f *faultFile) Write(b []byte) (int, error) {
	return 0, errors.New("sharetest: sequential Write not expected from PutAtomic")
}

// bigSize is large enough that an interrupted put keeps bytes: a resume
// drops the last share.MaxInFlight bytes of a temporary file.
const bigSize = share.MaxInFlight + 9<<20 + 123

func tempsIn(t *testing.T, fsys share.FS, dir string) []string {
	t.Helper()
	var out []string
	for _, n := range names(t, fsys, dir) {
		if share.IsTemp(n) {
			out = append(out, n)
		}
	}
	return out
}

func testPutResumes(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	data := payload(bigSize, 11)
	faulty := &FaultFS{FS: fsys, Limit: bigSize - 2<<20, Err: fmt.Errorf("cut off: %w", share.ErrUnreachable)}
	_, err := share.PutAtomic(ctx, faulty, "r/big.bin", bytes.NewReader(data), bigSize, share.PutOptions{})
	if !errors.Is(err, share.ErrUnreachable) {
		t.Fatalf("interrupted put: %v, want ErrUnreachable", err)
	}
	if temps := tempsIn(t, fsys, "r"); len(temps) != 1 {
		t.Fatalf("after a transient failure want one temporary file to resume, have %v", temps)
	}
	if _, err := fsys.Stat("r/big.bin"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("final name exists after an interrupted put: %v", err)
	}
	res, err := share.PutAtomic(ctx, fsys, "r/big.bin", bytes.NewReader(data), bigSize, share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed <= 0 || res.Resumed+res.Written != bigSize {
		t.Fatalf("resume: %+v, want Resumed > 0 and Resumed+Written = %d", res, bigSize)
	}
	if got := mustRead(t, fsys, "r/big.bin"); !bytes.Equal(got, data) {
		t.Fatal("resumed file differs from the source")
	}
	if temps := tempsIn(t, fsys, "r"); len(temps) != 0 {
		t.Fatalf("temporary files left: %v", temps)
	}
}

func testPutDamagedTemp(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	data := payload(bigSize, 12)
	faulty := &FaultFS{FS: fsys, Limit: bigSize - 1<<20, Err: share.ErrUnreachable}
	if _, err := share.PutAtomic(ctx, faulty, "big.bin", bytes.NewReader(data), bigSize, share.PutOptions{}); err == nil {
		t.Fatal("the faulty put worked")
	}
	// The source changed since: the temporary file no longer matches.
	data2 := payload(bigSize, 13)
	res, err := share.PutAtomic(ctx, fsys, "big.bin", bytes.NewReader(data2), bigSize, share.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Resumed != 0 {
		t.Fatalf("resumed %d bytes of another source", res.Resumed)
	}
	if got := mustRead(t, fsys, "big.bin"); !bytes.Equal(got, data2) {
		t.Fatal("file differs from the new source")
	}
}

func testPutPermanent(t *testing.T, fsys share.FS) {
	data := payload(3<<20, 14)
	faulty := &FaultFS{FS: fsys, Limit: 1 << 20, Err: fmt.Errorf("disk: %w", share.ErrFull)}
	_, err := share.PutAtomic(context.Background(), faulty, "full.bin", bytes.NewReader(data), int64(len(data)), share.PutOptions{})
	if !errors.Is(err, share.ErrFull) || !share.IsPermanent(err) {
		t.Fatalf("put on a full share: %v", err)
	}
	if n := names(t, fsys, "."); len(n) != 0 {
		t.Fatalf("left after a permanent failure: %v", n)
	}
}

func testPutConcurrent(t *testing.T, fsys share.FS) {
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			data := payload(1<<20+i, uint64(100+i))
			name := fmt.Sprintf("c/%d.bin", i)
			if _, err := share.PutAtomic(context.Background(), fsys, name, bytes.NewReader(data), int64(len(data)), share.PutOptions{ChunkSize: 128 << 10}); err != nil {
				errs <- err
				return
			}
			f, err := fsys.Open(name)
			if err != nil {
				errs <- err
				return
			}
			defer f.Close()
			got, err := io.ReadAll(f)
			if err == nil && !bytes.Equal(got, data) {
				err = fmt.Errorf("%s differs", name)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testWriteReadFile(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	if err := share.WriteFileAtomic(ctx, fsys, "instructions/PC1.ins", []byte("offer")); err != nil {
		t.Fatal(err)
	}
	got, err := share.ReadFile(fsys, "instructions/PC1.ins", 100)
	if err != nil || string(got) != "offer" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	if _, err := share.ReadFile(fsys, "instructions/PC1.ins", 4); err == nil || !strings.Contains(err.Error(), "5 bytes") {
		t.Fatalf("ReadFile over max: %v", err)
	}
	if _, err := share.ReadFile(fsys, "instructions/none.ins", 100); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("ReadFile of a missing file: %v", err)
	}
	if _, err := share.ReadFile(fsys, "instructions", 100); err == nil {
		t.Fatal("ReadFile of a folder worked")
	}
}

func testFetch(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	data := payload(3<<20+5, 21)
	if err := share.WriteFileAtomic(ctx, fsys, "pkg/a.tzst", data); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "a.tzst")
	res, err := share.Fetch(ctx, fsys, "pkg/a.tzst", dst, int64(len(data)), nil)
	if err != nil || res.Resumed != 0 || res.Written != int64(len(data)) {
		t.Fatalf("Fetch = %+v, %v", res, err)
	}
	checkLocal(t, dst, data)

	// An interrupted download resumes from its .part file, which Fetch
	// writes in order and so holds no gaps.
	dst2 := filepath.Join(t.TempDir(), "a.tzst")
	if err := os.WriteFile(dst2+".part", data[:1<<20+77], 0o644); err != nil {
		t.Fatal(err)
	}
	var last int64
	res, err = share.Fetch(ctx, fsys, "pkg/a.tzst", dst2, -1, func(done, _ int64) { last = done })
	if err != nil || res.Resumed != 1<<20+77 || res.Written != int64(len(data))-1<<20-77 || last != int64(len(data)) {
		t.Fatalf("resumed Fetch = %+v, %v (progress ended at %d)", res, err, last)
	}
	checkLocal(t, dst2, data)

	// The hash fed while fetching covers the whole file, resumed bytes
	// included, however the chunks and reads in flight are set.
	want := sha256.Sum256(data)
	for i, opt := range []share.FetchOptions{{}, {ChunkSize: 100 << 10, Parallel: 3}, {ChunkSize: 1 << 20, Parallel: 1}} {
		for _, resumed := range []int{0, 1<<20 + 77} {
			dst := filepath.Join(t.TempDir(), "a.tzst")
			if resumed > 0 {
				if err := os.WriteFile(dst+".part", data[:resumed], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			h := sha256.New()
			opt.Hash = h
			res, err := share.FetchWith(ctx, fsys, "pkg/a.tzst", dst, int64(len(data)), opt)
			if err != nil || res.Resumed != int64(resumed) {
				t.Fatalf("options %d, resumed %d: FetchWith = %+v, %v", i, resumed, res, err)
			}
			if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
				t.Fatalf("options %d, resumed %d: hash %x, want %x", i, resumed, got, want)
			}
			checkLocal(t, dst, data)
		}
	}
	// A damaged .part file is started over, and the hash does not see it.
	dst5 := filepath.Join(t.TempDir(), "a.tzst")
	if err := os.WriteFile(dst5+".part", payload(1<<20, 98), 0o644); err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if res, err := share.FetchWith(ctx, fsys, "pkg/a.tzst", dst5, int64(len(data)), share.FetchOptions{Hash: h}); err != nil || res.Resumed != 0 {
		t.Fatalf("FetchWith over a damaged .part = %+v, %v", res, err)
	}
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
		t.Fatalf("over a damaged .part: hash %x, want %x", got, want)
	}

	// A .part file that does not match is started over.
	dst3 := filepath.Join(t.TempDir(), "a.tzst")
	if err := os.WriteFile(dst3+".part", payload(1<<20, 99), 0o644); err != nil {
		t.Fatal(err)
	}
	if res, err = share.Fetch(ctx, fsys, "pkg/a.tzst", dst3, int64(len(data)), nil); err != nil || res.Resumed != 0 {
		t.Fatalf("Fetch over a damaged .part = %+v, %v", res, err)
	}
	checkLocal(t, dst3, data)

	// A size other than the share's is refused, and nothing is written.
	dst4 := filepath.Join(t.TempDir(), "a.tzst")
	if _, err := share.Fetch(ctx, fsys, "pkg/a.tzst", dst4, 10, nil); err == nil {
		t.Fatal("Fetch with a wrong size worked")
	}
	if _, err := os.Stat(dst4); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s exists after a refused fetch", dst4)
	}
	if _, err := share.Fetch(ctx, fsys, "pkg/none", dst4, -1, nil); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Fetch of a missing file: %v", err)
	}
}

func checkLocal(t *testing.T, name string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes that differ from the %d expected", name, len(got), len(want))
	}
	if _, err := os.Stat(name + ".part"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("%s.part left behind", name)
	}
}

func testPutTree(t *testing.T, fsys share.FS) {
	ctx := context.Background()
	src := t.TempDir()
	files := map[string][]byte{
		"setup.exe":         payload(2<<20+3, 31),
		"data/readme.txt":   []byte("read me"),
		"data/deep/x y.cfg": []byte("config"),
		"empty/.keep":       nil,
	}
	for name, b := range files {
		p := filepath.Join(src, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A link inside the tree is copied as the file it names.
	if err := os.Symlink("readme.txt", filepath.Join(src, "data", "link.txt")); err != nil {
		t.Fatal(err)
	}
	files["data/link.txt"] = files["data/readme.txt"]

	// An older tree with a file the new one lacks.
	if err := fsys.MkdirAll("S0100001/share"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fsys, "S0100001/share/obsolete.dll", []byte("old"))

	var last, total int64
	if err := share.PutTree(ctx, fsys, "S0100001/share", src, func(d, tt int64) { last, total = d, tt }); err != nil {
		t.Fatal(err)
	}
	if last != total || total != int64(len(files["setup.exe"])+7+6+7) {
		t.Errorf("progress ended at %d of %d", last, total)
	}
	for name, b := range files {
		if got := mustRead(t, fsys, "S0100001/share/"+name); !bytes.Equal(got, b) {
			t.Errorf("%s differs", name)
		}
	}
	if _, err := fsys.Stat("S0100001/share/obsolete.dll"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old tree's file survived: %v", err)
	}
	if n := names(t, fsys, "S0100001"); !slices.Equal(n, []string{"share"}) {
		t.Errorf("beside the tree: %v", n)
	}

	// A link that leaves the source is refused and the share keeps its tree.
	outside := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(outside, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(src, "data", "escape")); err != nil {
		t.Fatal(err)
	}
	err := share.PutTree(ctx, fsys, "S0100001/share", src, nil)
	if err == nil || !strings.Contains(err.Error(), "data/escape") {
		t.Fatalf("PutTree with an escaping link: %v", err)
	}
	if got := mustRead(t, fsys, "S0100001/share/data/readme.txt"); string(got) != "read me" {
		t.Fatal("the tree changed after a refused copy")
	}
	if n := names(t, fsys, "S0100001"); !slices.Equal(n, []string{"share"}) {
		t.Errorf("beside the tree after a refused copy: %v", n)
	}
}

func testSweepTemps(t *testing.T, fsys share.FS) {
	mustWrite(t, fsys, "keep.ins", []byte("x"))
	mustWrite(t, fsys, "PC1.ins.tmp-0123456789abcdef", []byte("x"))
	if err := fsys.MkdirAll("share.tmp-0123456789abcdef/sub"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fsys, "share.tmp-0123456789abcdef/sub/f", []byte("x"))
	if n, err := share.SweepTemps(fsys, ".", time.Hour); err != nil || n != 0 {
		t.Fatalf("sweep of fresh temporaries removed %d, %v", n, err)
	}
	time.Sleep(10 * time.Millisecond)
	if n, err := share.SweepTemps(fsys, ".", 0); err != nil || n != 2 {
		t.Fatalf("sweep removed %d, %v; want 2", n, err)
	}
	if n := names(t, fsys, "."); !slices.Equal(n, []string{"keep.ins"}) {
		t.Fatalf("after sweep: %v", n)
	}
}
