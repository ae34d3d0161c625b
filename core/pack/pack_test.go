package pack

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// writeTree makes a source folder with what real packages hold: an
// executable, text, a few MB of noise, an empty folder, links to a file and
// to a folder, non-ASCII names and a name too long for USTAR.
func writeTree(t testing.TB, dir string) {
	t.Helper()
	r := rand.New(rand.NewSource(42))
	noise := make([]byte, 3<<20)
	r.Read(noise)
	long := strings.Repeat("very-long-folder-name/", 6) + "file.txt"
	files := map[string]struct {
		body string
		mode fs.FileMode
	}{
		"bin/run.sh":      {"#!/bin/sh\necho hello\n", 0o755},
		"data/a.txt":      {strings.Repeat("Systems Management Server\n", 1000), 0o644},
		"data/sub/b.bin":  {string(noise), 0o600},
		"données/é.txt":   {"café\n", 0o644},
		long:              {"long\n", 0o644},
		"setup.exe":       {"MZ\x90\x00", 0o744},
		"zz/empty-file":   {"", 0o644},
		"data/sub/c/d.md": {"# d\n", 0o664},
	}
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(f.body), f.mode))
		must(t, os.Chmod(p, f.mode))
	}
	must(t, os.MkdirAll(filepath.Join(dir, "empty"), 0o700))
	must(t, os.Symlink("a.txt", filepath.Join(dir, "data", "link")))
	must(t, os.Symlink("data/sub", filepath.Join(dir, "latest")))
	must(t, os.Symlink("../../bin/run.sh", filepath.Join(dir, "data", "sub", "run")))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func packBytes(t testing.TB, src string, opt Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Pack(context.Background(), src, &buf, opt)
	if err != nil {
		t.Fatalf("Pack(%s): %v", src, err)
	}
	return buf.Bytes(), st
}

func TestPackDeterministic(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src)
	a, st := packBytes(t, src, Options{})
	if st.Size != int64(len(a)) || len(st.SHA256) != 64 {
		t.Fatalf("stats %+v do not describe %d bytes", st, len(a))
	}
	if st.Files != 8 || st.Dirs != 13 || st.Links != 3 || st.SourceBytes < 3<<20 {
		t.Fatalf("stats %+v", st)
	}

	// Touch every entry, change permissions the archive does not keep, and
	// build a second copy in another order: same bytes every time.
	past := time.Date(2011, 5, 6, 7, 8, 9, 0, time.UTC)
	must(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type()&fs.ModeSymlink == 0 {
			err = os.Chtimes(p, past, past)
		}
		return err
	}))
	must(t, os.Chmod(filepath.Join(src, "data/a.txt"), 0o600))
	must(t, os.Chmod(filepath.Join(src, "bin/run.sh"), 0o700))
	b, _ := packBytes(t, src, Options{})
	if !bytes.Equal(a, b) {
		t.Fatal("touching mtimes and permissions changed the archive")
	}
	for _, n := range []int{1, 2, 3, 8} {
		c, stc := packBytes(t, src, Options{Concurrency: n})
		if !bytes.Equal(a, c) {
			t.Fatalf("concurrency %d gave another archive (%s, want %s)", n, stc.SHA256, st.SHA256)
		}
	}

	// The executable bit is content: losing it changes the archive.
	must(t, os.Chmod(filepath.Join(src, "bin/run.sh"), 0o644))
	d, _ := packBytes(t, src, Options{})
	if bytes.Equal(a, d) {
		t.Fatal("dropping the executable bit did not change the archive")
	}
	must(t, os.Chmod(filepath.Join(src, "bin/run.sh"), 0o755))
	must(t, os.WriteFile(filepath.Join(src, "data/a.txt"), []byte("changed"), 0o644))
	e, _ := packBytes(t, src, Options{})
	if bytes.Equal(a, e) {
		t.Fatal("changing a file did not change the archive")
	}
}

func TestPackIndependentOfCreationOrder(t *testing.T) {
	one, two := t.TempDir(), t.TempDir()
	for i := 0; i < 50; i++ {
		must(t, os.WriteFile(filepath.Join(one, "f"+string(rune('a'+i%26))+strings.Repeat("x", i)), []byte{byte(i)}, 0o644))
	}
	for i := 49; i >= 0; i-- {
		must(t, os.WriteFile(filepath.Join(two, "f"+string(rune('a'+i%26))+strings.Repeat("x", i)), []byte{byte(i)}, 0o644))
	}
	a, _ := packBytes(t, one, Options{})
	b, _ := packBytes(t, two, Options{})
	if !bytes.Equal(a, b) {
		t.Fatal("the order files were created in changed the archive")
	}
}

// snapshot describes a tree: per path, its kind, exec bit, content or link.
func snapshot(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.IsDir():
			out[rel] = "dir"
		case fi.Mode()&fs.ModeSymlink != 0:
			tgt, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = "link " + tgt
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[rel] = "file exec=" + map[bool]string{true: "yes", false: "no"}[fi.Mode()&0o100 != 0] + " " + string(b)
		}
		return nil
	}))
	return out
}

func TestRoundTrip(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src)
	// An absolute link inside the source becomes a relative one.
	must(t, os.Symlink(filepath.Join(src, "data", "a.txt"), filepath.Join(src, "bin", "abs-link")))
	archive, st := packBytes(t, src, Options{})

	dst := filepath.Join(t.TempDir(), "pkg")
	ust, err := Unpack(context.Background(), bytes.NewReader(archive), dst, UnpackOptions{})
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	if ust.Files != st.Files || ust.Dirs != st.Dirs || ust.Links != st.Links || ust.Bytes != st.SourceBytes {
		t.Fatalf("unpacked %+v, packed %+v", ust, st)
	}
	want, got := snapshot(t, src), snapshot(t, dst)
	want["bin/abs-link"] = "link ../data/a.txt"
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: unpacked %.60q, source %.60q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s unpacked but not in the source", k)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dst, "latest", "run")); err != nil || !strings.Contains(string(b), "echo hello") {
		t.Errorf("following the unpacked links: %v", err)
	}
}

func TestPackRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, src string)
		want  string
	}{
		{"escaping link", func(t *testing.T, src string) {
			must(t, os.Symlink("../../etc/passwd", filepath.Join(src, "passwd")))
		}, "link " + "%s/passwd points outside the package folder"},
		{"absolute link outside", func(t *testing.T, src string) {
			must(t, os.Symlink("/etc", filepath.Join(src, "etc")))
		}, "link %s/etc points to /etc, outside the source folder"},
		{"escape through another link", func(t *testing.T, src string) {
			must(t, os.Mkdir(filepath.Join(src, "d"), 0o755))
			must(t, os.Symlink("..", filepath.Join(src, "d", "up")))
			must(t, os.Symlink("d/up/../x", filepath.Join(src, "sneaky")))
		}, "link %s/sneaky points outside the package folder"},
		{"link loop", func(t *testing.T, src string) {
			must(t, os.Symlink("b", filepath.Join(src, "a")))
			must(t, os.Symlink("a", filepath.Join(src, "b")))
		}, "loop of links"},
		{"named pipe", func(t *testing.T, src string) {
			if err := mkfifo(filepath.Join(src, "pipe")); err != nil {
				t.Skip("no named pipes here:", err)
			}
		}, "%s/pipe is a named pipe; a package holds only files, folders and links"},
		{"socket", func(t *testing.T, src string) {
			stop, err := mksocket(filepath.Join(src, "sock"))
			if err != nil {
				t.Skip("no Unix sockets here:", err)
			}
			t.Cleanup(stop)
		}, "%s/sock is a socket; a package holds only files, folders and links"},
		{"device", func(t *testing.T, src string) {
			if err := mkdevice(filepath.Join(src, "null")); err != nil {
				t.Skip("cannot make a device node here:", err)
			}
		}, "%s/null is a device; a package holds only files, folders and links"},
		{"backslash name", func(t *testing.T, src string) {
			must(t, os.WriteFile(filepath.Join(src, `a\b`), nil, 0o644))
		}, "backslash"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := t.TempDir()
			must(t, os.WriteFile(filepath.Join(src, "ok.txt"), []byte("ok"), 0o644))
			tc.setup(t, src)
			_, err := Pack(context.Background(), src, io.Discard, Options{})
			want := tc.want
			if strings.Contains(want, "%s") {
				want = strings.ReplaceAll(want, "%s", src)
			}
			if err == nil || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrRefused) {
				t.Fatalf("Pack = %v, want ErrRefused saying %q", err, want)
			}
		})
	}
}

func TestPackSourceMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "x", "y")
	_, err := Pack(context.Background(), missing, io.Discard, Options{})
	if err == nil || err.Error() != "source folder "+missing+" does not exist: restore it, or give the package its new source folder" || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Pack of a missing folder = %v", err)
	}
	file := filepath.Join(t.TempDir(), "f")
	must(t, os.WriteFile(file, nil, 0o644))
	if _, err := Pack(context.Background(), file, io.Discard, Options{}); err == nil || !strings.Contains(err.Error(), "is a file, not a folder") {
		t.Fatalf("Pack of a file = %v", err)
	}
	if _, _, _, err := SourceDigest(context.Background(), missing); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("SourceDigest of a missing folder = %v", err)
	}
}

func TestPackUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads everything")
	}
	src := t.TempDir()
	p := filepath.Join(src, "secret")
	must(t, os.WriteFile(p, []byte("x"), 0o000))
	if _, err := Pack(context.Background(), src, io.Discard, Options{}); err == nil || !strings.Contains(err.Error(), "cannot read "+p) {
		t.Fatalf("Pack = %v", err)
	}
}

func TestPackCancel(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Pack(ctx, src, io.Discard, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Pack with a canceled context = %v", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	entries := 0
	_, err := Pack(ctx, src, io.Discard, Options{Progress: func(st Stats) {
		if entries++; entries == 3 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) || entries != 3 {
		t.Fatalf("Pack canceled after 3 entries = %v after %d entries", err, entries)
	}
}

func TestPackFile(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeTree(t, src)
	st, name, err := PackFile(context.Background(), src, dst, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if name != filepath.Join(dst, st.SHA256+".tzst") {
		t.Fatalf("PackFile named %s", name)
	}
	if err := VerifyFile(name, st.SHA256, st.Size); err != nil {
		t.Fatal(err)
	}
	if _, _, err := PackFile(context.Background(), filepath.Join(src, "missing"), dst, Options{}); err == nil {
		t.Fatal("PackFile of a missing folder succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := PackFile(ctx, src, dst, Options{}); err == nil {
		t.Fatal("PackFile with a canceled context succeeded")
	}
	names, _ := os.ReadDir(dst)
	if len(names) != 1 || names[0].Name() != st.SHA256+".tzst" {
		t.Fatalf("dstDir holds %v, want only the archive (no temporary files)", names)
	}
}

func TestVerifyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.tzst")
	must(t, os.WriteFile(p, []byte("hello"), 0o644))
	sum, size, err := HashFile(p)
	if err != nil || size != 5 || sum != "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824" {
		t.Fatalf("HashFile = %s %d %v", sum, size, err)
	}
	if err := VerifyFile(p, sum, 5); err != nil {
		t.Fatal(err)
	}
	err = VerifyFile(p, strings.Repeat("0", 64), 5)
	if !errors.Is(err, ErrMismatch) || err.Error() != "archive "+p+" has sha256 "+sum+", the signed instructions say "+strings.Repeat("0", 64) {
		t.Fatalf("VerifyFile with the wrong hash = %v", err)
	}
	if err := VerifyFile(p, sum, 6); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "is 5 bytes, the signed instructions say 6") {
		t.Fatalf("VerifyFile with the wrong size = %v", err)
	}
	if err := VerifyFile(p+"x", sum, 5); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("VerifyFile of a missing file = %v", err)
	}
}

func TestSourceDigest(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src)
	ctx := context.Background()
	d1, files, n, err := SourceDigest(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	_, st := packBytes(t, src, Options{})
	if files != st.Files || n != st.SourceBytes {
		t.Fatalf("SourceDigest counted %d files, %d bytes; Pack %d, %d", files, n, st.Files, st.SourceBytes)
	}
	if st.SourceDigest != d1 {
		t.Fatalf("Pack's Stats give the digest %s, SourceDigest %s", st.SourceDigest, d1)
	}
	if d2, _, _, _ := SourceDigest(ctx, src); d2 != d1 {
		t.Fatal("SourceDigest changed with nothing changed")
	}
	later := time.Now().Add(time.Hour)
	must(t, os.Chtimes(filepath.Join(src, "data/a.txt"), later, later))
	d3, _, _, _ := SourceDigest(ctx, src)
	if d3 == d1 {
		t.Fatal("SourceDigest missed a new modification time")
	}
	must(t, os.WriteFile(filepath.Join(src, "new"), nil, 0o644))
	if d4, _, _, _ := SourceDigest(ctx, src); d4 == d3 {
		t.Fatal("SourceDigest missed a new file")
	}
}

// tarEntry is one entry of a crafted archive.
type tarEntry struct {
	name string
	typ  byte
	body string
	link string
}

func tarOf(t testing.TB, es ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, Size: int64(len(e.body)), Format: tar.FormatPAX}
		if e.typ != tar.TypeReg {
			hdr.Size = 0
		}
		must(t, tw.WriteHeader(hdr))
		if hdr.Size > 0 {
			_, err := tw.Write([]byte(e.body))
			must(t, err)
		}
	}
	must(t, tw.Close())
	return buf.Bytes()
}

func zstdOf(t testing.TB, data []byte) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	must(t, err)
	defer enc.Close()
	return enc.EncodeAll(data, nil)
}

// outsideFiles lists everything under parent that is not dst or inside it
// (the folders leading to dst excepted).
func outsideFiles(t testing.TB, parent, dst string) []string {
	t.Helper()
	var out []string
	must(t, filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dst || strings.HasPrefix(p, dst+string(filepath.Separator)) {
			if p == dst {
				return fs.SkipDir
			}
			return nil
		}
		if p != parent && !strings.HasPrefix(dst, p+string(filepath.Separator)) {
			out = append(out, p)
		}
		return nil
	}))
	sort.Strings(out)
	return out
}

type unpackCase struct {
	name    string
	entries []tarEntry
	opt     UnpackOptions
	want    string
}

func unpackCases() []unpackCase {
	reg, dir, sym, hard := byte(tar.TypeReg), byte(tar.TypeDir), byte(tar.TypeSymlink), byte(tar.TypeLink)
	return []unpackCase{
		{"dotdot", []tarEntry{{name: "../x", typ: reg, body: "x"}}, UnpackOptions{}, `archive entry "../x" would leave the package folder`},
		{"deep dotdot", []tarEntry{{name: "a/../../../etc/passwd", typ: reg, body: "x"}}, UnpackOptions{}, "would leave the package folder"},
		{"passwd", []tarEntry{{name: "../../etc/passwd", typ: reg, body: "x"}}, UnpackOptions{}, `archive entry "../../etc/passwd" would leave the package folder`},
		{"absolute", []tarEntry{{name: "/abs", typ: reg, body: "x"}}, UnpackOptions{}, `archive entry "/abs" has an absolute name`},
		{"drive", []tarEntry{{name: "C:/Windows/x", typ: reg, body: "x"}}, UnpackOptions{}, "has an absolute name"},
		{"backslash", []tarEntry{{name: `..\x`, typ: reg, body: "x"}}, UnpackOptions{}, "backslash"},
		{"link to /etc", []tarEntry{{name: "etc", typ: sym, link: "/etc"}}, UnpackOptions{}, `archive entry "etc" is a link that points to the absolute path /etc`},
		{"link up", []tarEntry{{name: "up", typ: sym, link: "../.."}}, UnpackOptions{}, "is a link that points outside the package folder"},
		{"link then write through it", []tarEntry{{name: "lnk", typ: sym, link: ".."}, {name: "lnk/escaped", typ: reg, body: "x"}}, UnpackOptions{}, `archive entry "lnk" is a link that points outside`},
		{"link to absolute then write", []tarEntry{{name: "lnk", typ: sym, link: "/tmp"}, {name: "lnk/escaped", typ: reg, body: "x"}}, UnpackOptions{}, "absolute path /tmp"},
		{"escape through a later link", []tarEntry{{name: "b/", typ: dir}, {name: "a", typ: sym, link: "b/../x"}, {name: "b", typ: sym, link: "."}}, UnpackOptions{}, "would replace the folder"},
		{"escape once unpacked", []tarEntry{{name: "a", typ: sym, link: "b/../x"}, {name: "b", typ: sym, link: "."}}, UnpackOptions{}, `archive entry "a" is a link that points outside the package folder once the whole archive is unpacked`},
		{"hardlink escape", []tarEntry{{name: "h", typ: hard, link: "../../etc/passwd"}}, UnpackOptions{}, `archive entry "h" is a hard link to "../../etc/passwd", which would leave the package folder`},
		{"hardlink to absolute", []tarEntry{{name: "h", typ: hard, link: "/etc/passwd"}}, UnpackOptions{}, "hard link"},
		{"hardlink to a link", []tarEntry{{name: "l", typ: sym, link: "x"}, {name: "h", typ: hard, link: "l"}}, UnpackOptions{}, "not a file the archive wrote before it"},
		{"char device", []tarEntry{{name: "null", typ: tar.TypeChar}}, UnpackOptions{}, `archive entry "null" is a device node`},
		{"block device", []tarEntry{{name: "sda", typ: tar.TypeBlock}}, UnpackOptions{}, "device node"},
		{"fifo", []tarEntry{{name: "p", typ: tar.TypeFifo}}, UnpackOptions{}, "named pipe"},
		{"too many files", []tarEntry{{name: "a", typ: reg}, {name: "b", typ: reg}, {name: "c", typ: reg}}, UnpackOptions{MaxFiles: 2}, `archive entry "c" is entry number 3, more than the 2 allowed`},
		{"too many bytes", []tarEntry{{name: "a", typ: reg, body: "123456"}, {name: "b", typ: reg, body: "123456"}}, UnpackOptions{MaxBytes: 10}, `archive entry "b" would bring the package past 10 bytes`},
		{"file over folder", []tarEntry{{name: "d/", typ: dir}, {name: "d/x", typ: reg, body: "x"}, {name: "d", typ: reg, body: "x"}}, UnpackOptions{}, "would replace the folder"},
		{"root as file", []tarEntry{{name: ".", typ: reg}}, UnpackOptions{}, "names the package folder itself"},
	}
}

func TestUnpackRefuses(t *testing.T) {
	for _, tc := range unpackCases() {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "cache", "S0100012")
			archive := zstdOf(t, tarOf(t, tc.entries...))
			_, err := Unpack(context.Background(), bytes.NewReader(archive), dst, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrRefused) {
				t.Fatalf("Unpack = %v, want ErrRefused saying %q", err, tc.want)
			}
			if out := outsideFiles(t, parent, dst); len(out) > 0 {
				t.Fatalf("Unpack wrote outside the package folder: %v", out)
			}
		})
	}
}

func TestUnpackDamaged(t *testing.T) {
	src := t.TempDir()
	writeTree(t, src)
	archive, _ := packBytes(t, src, Options{})
	flipped := append([]byte{}, archive...)
	flipped[len(flipped)/2] ^= 0xff
	for name, data := range map[string][]byte{
		"not zstd":  []byte("PK\x03\x04 this is a zip file"),
		"truncated": archive[:len(archive)/2],
		"flipped":   flipped,
		"plain tar": tarOf(t, tarEntry{name: "a", typ: tar.TypeReg, body: "x"}),
		"trailing":  append(append([]byte{}, archive...), zstdOf(t, bytes.Repeat([]byte{1}, maxTrailing+10))...),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Unpack(context.Background(), bytes.NewReader(data), filepath.Join(t.TempDir(), "pkg"), UnpackOptions{})
			if err == nil {
				t.Fatal("Unpack accepted a damaged archive")
			}
			if !strings.Contains(err.Error(), "damaged") && !strings.Contains(err.Error(), "after its end") {
				t.Fatalf("Unpack = %v, want a sentence about damage", err)
			}
		})
	}
}

func TestUnpackReplacesAndCancels(t *testing.T) {
	// A later entry replaces an earlier file or link, as tar does, and
	// never writes through the link.
	dst := filepath.Join(t.TempDir(), "pkg")
	archive := zstdOf(t, tarOf(t,
		tarEntry{name: "target", typ: tar.TypeReg, body: "keep"},
		tarEntry{name: "x", typ: tar.TypeSymlink, link: "target"},
		tarEntry{name: "x", typ: tar.TypeReg, body: "new"},
		tarEntry{name: "h", typ: tar.TypeLink, link: "target"},
	))
	st, err := Unpack(context.Background(), bytes.NewReader(archive), dst, UnpackOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := snapshot(t, dst)
	if got["target"] != "file exec=no keep" || got["x"] != "file exec=no new" || got["h"] != "file exec=no keep" {
		t.Fatalf("tree %v", got)
	}
	if st.Files != 3 || st.Links != 1 {
		t.Fatalf("stats %+v", st)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Unpack(ctx, bytes.NewReader(archive), t.TempDir(), UnpackOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Unpack with a canceled context = %v", err)
	}
}

func TestUnpackCannotWrite(t *testing.T) {
	archive := zstdOf(t, tarOf(t,
		tarEntry{name: "a", typ: tar.TypeReg, body: "x"},
		tarEntry{name: "a/b", typ: tar.TypeReg, body: "y"},
	))
	dst := filepath.Join(t.TempDir(), "pkg")
	_, err := Unpack(context.Background(), bytes.NewReader(archive), dst, UnpackOptions{})
	if err == nil || !strings.Contains(err.Error(), `archive entry "a/b" cannot be written in `+dst) || errors.Is(err, ErrRefused) {
		t.Fatalf("Unpack of a file below a file = %v", err)
	}

	file := filepath.Join(t.TempDir(), "file")
	must(t, os.WriteFile(file, nil, 0o644))
	_, err = Unpack(context.Background(), bytes.NewReader(archive), filepath.Join(file, "pkg"), UnpackOptions{})
	if err == nil || !strings.Contains(err.Error(), "cannot create package folder") {
		t.Fatalf("Unpack below a file = %v", err)
	}
}
