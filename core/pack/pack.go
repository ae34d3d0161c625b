package pack

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Options tunes Pack. The zero value is what the watchdog uses.
type Options struct {
	// Level is the compression level as the zstd tool counts it (1 to 22);
	// 0 means 3, zstd's default. The encoder has four speeds: below 3,
	// 3 to 5, 6 to 9, and 10 and up.
	Level int
	// Concurrency is how many frames compress at once; 0 means
	// GOMAXPROCS. It never changes the output: see frameSize.
	Concurrency int
	// Progress, when set, is called after each entry with the totals so far
	// (SHA256 and Size are set only at the end).
	Progress func(Stats)
	// Tee, when set, receives a copy of the archive while PackFile or
	// PackFileFS writes it (Pack and PackFS write to their caller's
	// writer, and ignore it).
	Tee Tee
}

// Tee is a second destination for the archive PackFile writes: a
// distribution server's temporary file, say, so that the push overlaps the
// packing. A Tee never fails the pack: once Begin or a Write fails, it
// gets no more of that attempt's bytes, and the local archive is made as
// without it.
type Tee interface {
	// Begin starts the copy of one attempt and returns where its bytes go.
	// PackFile packs again when a source file changed while it was read
	// (ErrChanged): each attempt begins anew, and what an earlier attempt
	// wrote is the Tee's to discard. Write is called from one goroutine,
	// in order, and must not keep the slice it is given.
	Begin() (io.Writer, error)
	// End says that an attempt's copy is complete and what it is (st's
	// SHA256 and Size are set). It is called only when every byte reached
	// the Tee, from another goroutine while PackFile syncs and names the
	// local file, so that the copy can be named meanwhile; PackFile
	// returns once End has. The pack may still fail after it (the local
	// disk), and PackFile's error says so.
	End(st Stats)
}

// Stats describes what Pack wrote.
type Stats struct {
	SHA256      string // hex SHA-256 of the compressed archive
	Size        int64  // bytes of the compressed archive
	Files       int    // regular files
	Dirs        int    // folders, not counting the source folder itself
	Links       int    // symbolic links
	SourceBytes int64  // bytes of the regular files
	// SourceDigest is what SourceDigest says of the tree as it was packed
	// (set at the end): a caller that packs anyway need not walk the tree
	// a second time for it.
	SourceDigest string
}

// copyBufSize is the buffer each Pack or Unpack call reads files through.
const copyBufSize = 1 << 20

// encoderLevel maps the zstd tool's level to klauspost's four speeds.
func encoderLevel(opt Options) zstd.EncoderLevel {
	level := opt.Level
	if level == 0 {
		level = 3
	}
	return zstd.EncoderLevelFromZstd(level)
}

// maxConcurrency caps how many frames compress at once when Options
// leaves it to GOMAXPROCS. Each worker holds a frame's input and output
// and its encoder's 8 MiB window, about 27 MB of heap, so memory grew with
// the core count: a watchdog packing and pushing at GOMAXPROCS=16 peaked
// at 600 MB resident for 128 MiB. At 4 it peaks at 160 MB whatever
// GOMAXPROCS is (100 MB at 2), and 4 workers compress faster than one SMB
// session to one server carries.
const maxConcurrency = 4

// encoderConcurrency is how many frames compress at once; it never changes
// the output (see frameSize).
func encoderConcurrency(opt Options) int {
	if opt.Concurrency > 0 {
		return opt.Concurrency
	}
	return min(runtime.GOMAXPROCS(0), maxConcurrency)
}

// hashWriter counts and hashes what passes through to w.
type hashWriter struct {
	w io.Writer
	h hash.Hash
	n int64
}

func (hw *hashWriter) Write(p []byte) (int, error) {
	n, err := hw.w.Write(p)
	hw.h.Write(p[:n])
	hw.n += int64(n)
	return n, err
}

// Pack writes srcDir as a compressed archive to w. Entries are written in
// sorted order with fixed times, no owners and normalised modes, so the
// same source bytes always give the same archive bytes. Files keep their
// executable bit; on Windows, where files have none, every file is packed
// 0644, and a Linux or macOS command line should name its interpreter
// (sh setup.sh).
func Pack(ctx context.Context, srcDir string, w io.Writer, opt Options) (Stats, error) {
	root, err := sourceRoot(srcDir)
	if err != nil {
		return Stats{}, err
	}
	return packTree(ctx, root, w, opt)
}

// PackFS is Pack for a source folder read through fsys, the root of the
// tree (a folder on a share, through share.IOFS), named where in
// sentences. It reads every file once, in order, streamed. What fsys
// cannot carry is normalised (see the package doc): every file is packed
// 0644 and every folder 0755, so a tree packs to the same archive from a
// share as from a local folder whose files are not executable.
func PackFS(ctx context.Context, fsys fs.FS, where string, w io.Writer, opt Options) (Stats, error) {
	root, err := fsRoot(fsys, where)
	if err != nil {
		return Stats{}, err
	}
	return packTree(ctx, root, w, opt)
}

func packTree(ctx context.Context, root tree, w io.Writer, opt Options) (Stats, error) {
	hw := &hashWriter{w: w, h: sha256.New()}
	enc, err := newFrameWriter(hw, encoderLevel(opt), encoderConcurrency(opt))
	if err != nil {
		return Stats{}, fmt.Errorf("packing %s: %w", root.where(), err)
	}
	st, err := writeTar(ctx, root, enc, opt.Progress)
	if cerr := enc.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("packing %s: writing the archive: %w", root.where(), cerr)
	}
	if err != nil {
		return Stats{}, err
	}
	st.SHA256 = hex.EncodeToString(hw.h.Sum(nil))
	st.Size = hw.n
	if opt.Progress != nil {
		opt.Progress(st)
	}
	return st, nil
}

func writeTar(ctx context.Context, root tree, w io.Writer, progress func(Stats)) (Stats, error) {
	var st Stats
	tw := tar.NewWriter(w)
	buf := make([]byte, copyBufSize)
	digest := newDigester()
	err := root.walk(ctx, func(e entry) error {
		digest.add(e)
		hdr := &tar.Header{Name: e.rel, ModTime: fixedTime}
		switch {
		case e.info.IsDir():
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, e.rel+"/", modeDir
			st.Dirs++
		case e.info.Mode()&fs.ModeSymlink != 0:
			hdr.Typeflag, hdr.Linkname, hdr.Mode = tar.TypeSymlink, e.link, modeLink
			st.Links++
		default:
			hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, e.mode(), e.info.Size()
		}
		if hdr.Typeflag != tar.TypeReg {
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("packing %s: %w", e.abs, err)
			}
		} else if err := copyFile(ctx, tw, hdr, root, e, buf); err != nil {
			return err
		} else {
			st.Files++
			st.SourceBytes += hdr.Size
		}
		if progress != nil {
			progress(st)
		}
		return nil
	})
	if err != nil {
		return Stats{}, err
	}
	if err := tw.Close(); err != nil {
		return Stats{}, fmt.Errorf("packing %s: %w", root.where(), err)
	}
	st.SourceDigest = digest.sum()
	return st, nil
}

// copyFile writes one file's header and content. The size comes from the
// open file, and a file that grows or shrinks meanwhile is an error rather
// than a silently different archive.
func copyFile(ctx context.Context, tw *tar.Writer, hdr *tar.Header, root tree, e entry, buf []byte) error {
	name := e.abs
	f, err := root.open(e)
	if err != nil {
		return sentencef(err, "cannot read %s: %v", name, pathErr(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sentencef(err, "cannot read %s: %v", name, pathErr(err))
	}
	if !fi.Mode().IsRegular() {
		return sentencef(ErrRefused, "%s changed into something that is not a file while it was being packed", name)
	}
	hdr.Size = fi.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("packing %s: %w", name, err)
	}
	// The last read asks for one byte more than is left, so that a file
	// that grew shows there, without a read of its own (one system call
	// per file fewer: 15,000 for the Go distribution).
	var done int64
	grewChecked := false
	for done < hdr.Size {
		if err := ctx.Err(); err != nil {
			return sentencef(err, "packing stopped at %s: %v", name, err)
		}
		want := min(int64(len(buf)), hdr.Size-done+1)
		n, rerr := f.Read(buf[:want])
		if done+int64(n) > hdr.Size {
			return sentencef(ErrRefused, "%s grew while it was being packed; pack again when nothing writes to the source folder", name)
		}
		if n > 0 {
			if _, err := tw.Write(buf[:n]); err != nil {
				return fmt.Errorf("packing %s: %w", name, err)
			}
			done += int64(n)
		}
		if done == hdr.Size {
			// A local file reads short only at its end; another may read
			// short anywhere, and says EOF only at the end.
			_, local := f.(*os.File)
			grewChecked = rerr == io.EOF || (local && rerr == nil && want > int64(n))
			break
		}
		if rerr == io.EOF {
			return sentencef(ErrRefused, "%s shrank while it was being packed; pack again when nothing writes to the source folder", name)
		}
		if rerr != nil {
			return sentencef(rerr, "cannot read %s: %v", name, pathErr(rerr))
		}
	}
	if !grewChecked {
		if n, _ := f.Read(buf[:1]); n > 0 {
			return sentencef(ErrRefused, "%s grew while it was being packed; pack again when nothing writes to the source folder", name)
		}
	}
	// Rewritten in place with the same size, or replaced under its name,
	// as tar's "file changed as we read it": the time tells.
	now, err := f.Stat()
	replaced := !root.same(e, fi)
	if err != nil || replaced || now.Size() != fi.Size() || !now.ModTime().Equal(fi.ModTime()) {
		return sentencef(ErrChanged, "%s changed while it was being packed", name)
	}
	return nil
}

// pathErr drops the operation and path from an *fs.PathError, which the
// sentence around it already names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// tree is a source folder as the packer reads it: a local folder (source)
// or a file system such as a folder on a share (fsSource).
type tree interface {
	// walk calls fn for every entry below the folder in sorted order,
	// refusing what a package cannot hold.
	walk(ctx context.Context, fn func(entry) error) error
	// open opens a regular file that walk gave.
	open(e entry) (fs.File, error)
	// where names the folder in sentences.
	where() string
	// same reports whether e's name still names the file opened as fi.
	same(e entry, fi fs.FileInfo) bool
}

// source is a local source folder, resolved.
type source struct {
	dir  string // as given, for sentences
	abs  string // absolute, as given
	real string // absolute, with links resolved
}

// entry is one thing under the source folder.
type entry struct {
	rel  string // slash-separated, relative to the source folder
	abs  string
	info fs.FileInfo
	link string // a link's target as stored: relative, slash-separated
	// noExec: the tree cannot carry an executable bit (a share), so the
	// file packs 0644 whatever its mode says.
	noExec bool
}

// fill checks e's name and reads its description from d, as every walk
// of a source does.
func (e *entry) fill(d fs.DirEntry) error {
	if bad := entryNameProblem(e.rel); bad != "" {
		return sentencef(ErrRefused, "%s %s", e.abs, bad)
	}
	var err error
	if e.info, err = d.Info(); err != nil {
		return sentencef(err, "cannot read %s: %v", e.abs, pathErr(err))
	}
	return nil
}

// mode is a regular file's normalised mode in the archive.
func (e entry) mode() int64 {
	if e.noExec {
		return modeFile
	}
	return fileMode(uint32(e.info.Mode().Perm()))
}

func sourceRoot(dir string) (source, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Said when a job sends a package whose folder was moved or deleted
		// since the package was made: the administrator acts on the package.
		return source{}, sentencef(err, "source folder %s does not exist: restore it, or give the package its new source folder", dir)
	case err != nil:
		return source{}, sentencef(err, "source folder %s cannot be read: %v", dir, pathErr(err))
	case !fi.IsDir():
		return source{}, sentencef(ErrRefused, "source folder %s is a file, not a folder", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return source{}, sentencef(err, "source folder %s cannot be read: %v", dir, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return source{}, sentencef(err, "source folder %s cannot be read: %v", dir, pathErr(err))
	}
	return source{dir: dir, abs: abs, real: real}, nil
}

// walk calls fn for every entry below the source folder in sorted order
// (filepath.WalkDir reads each folder sorted by name), refusing what a
// package cannot hold.
func (s source) walk(ctx context.Context, fn func(entry) error) error {
	return filepath.WalkDir(s.real, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return sentencef(err, "cannot read %s: %v", s.shown(p), pathErr(err))
		}
		if cerr := ctx.Err(); cerr != nil {
			return sentencef(cerr, "packing %s stopped: %v", s.dir, cerr)
		}
		if p == s.real {
			return nil
		}
		rel, err := filepath.Rel(s.real, p)
		if err != nil {
			return err
		}
		e := entry{rel: filepath.ToSlash(rel), abs: s.shown(p)}
		if err := e.fill(d); err != nil {
			return err
		}
		switch m := e.info.Mode(); {
		case m.IsDir(), m.IsRegular():
		case m&fs.ModeSymlink != 0:
			if e.link, err = s.storedTarget(e.rel); err != nil {
				return err
			}
			if bad := linkProblem(e.rel, e.link, s.readlink); bad != "" {
				return sentencef(ErrRefused, "link %s %s; a package may only hold links that stay inside its folder", e.abs, bad)
			}
		default:
			return sentencef(ErrRefused, "%s is a %s; a package holds only files, folders and links", e.abs, kindOf(m))
		}
		return fn(e)
	})
}

func (s source) open(e entry) (fs.File, error) { return os.Open(e.abs) }

func (s source) where() string { return s.dir }

func (s source) same(e entry, fi fs.FileInfo) bool {
	again, err := os.Stat(e.abs)
	return err == nil && os.SameFile(fi, again)
}

// shown names a path under the source folder as the administrator gave it,
// not as links resolved it.
func (s source) shown(p string) string {
	if rel, err := filepath.Rel(s.real, p); err == nil {
		return filepath.Join(s.dir, rel)
	}
	return p
}

// storedTarget reads the link at rel and returns its target as the archive
// stores it. An absolute target inside the source folder becomes relative,
// since the package will live elsewhere on the client.
func (s source) storedTarget(rel string) (string, error) {
	p := filepath.Join(s.real, filepath.FromSlash(rel))
	t, err := os.Readlink(p)
	if err != nil {
		return "", sentencef(err, "cannot read link %s: %v", s.shown(p), pathErr(err))
	}
	if !filepath.IsAbs(t) {
		return filepath.ToSlash(t), nil
	}
	for _, root := range []string{s.real, s.abs} {
		inside, err := filepath.Rel(root, filepath.Clean(t))
		if err != nil || inside == ".." || strings.HasPrefix(inside, ".."+string(filepath.Separator)) {
			continue
		}
		r, err := filepath.Rel(filepath.Dir(filepath.Join(root, filepath.FromSlash(rel))), filepath.Clean(t))
		if err == nil {
			return filepath.ToSlash(r), nil
		}
	}
	return "", sentencef(ErrRefused, "link %s points to %s, outside the source folder; a package may only hold links that stay inside its folder", s.shown(p), t)
}

// readlink is linkProblem's view of the source tree.
func (s source) readlink(rel string) (string, bool) {
	fi, err := os.Lstat(filepath.Join(s.real, filepath.FromSlash(rel)))
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false
	}
	t, err := s.storedTarget(rel)
	if err != nil {
		return "/", true // outside: linkProblem refuses it
	}
	return t, true
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// SourceDigest summarises the source folder without reading file contents:
// every entry's path, type, normalised mode, size, modification time and
// link target. If it is unchanged, an if-not-sent job reuses the last
// archive. Like make, it misses a change that keeps a file's size and time.
func SourceDigest(ctx context.Context, srcDir string) (digest string, files int, bytes int64, err error) {
	root, err := sourceRoot(srcDir)
	if err != nil {
		return "", 0, 0, err
	}
	return sourceDigest(ctx, root)
}

// SourceDigestFS is SourceDigest for a source folder read through fsys, as
// PackFS reads it: one listing of the tree, no file read.
func SourceDigestFS(ctx context.Context, fsys fs.FS, where string) (digest string, files int, bytes int64, err error) {
	root, err := fsRoot(fsys, where)
	if err != nil {
		return "", 0, 0, err
	}
	return sourceDigest(ctx, root)
}

func sourceDigest(ctx context.Context, root tree) (digest string, files int, bytes int64, err error) {
	d := newDigester()
	err = root.walk(ctx, func(e entry) error {
		if d.add(e) {
			files++
			bytes += e.info.Size()
		}
		return nil
	})
	if err != nil {
		return "", 0, 0, err
	}
	return d.sum(), files, bytes, nil
}

// digester computes SourceDigest entry by entry, for SourceDigest's own
// walk and for the packer's, which gives it in Stats.
type digester struct{ h hash.Hash }

func newDigester() digester {
	h := sha256.New()
	io.WriteString(h, "opensms-source/1\n")
	return digester{h}
}

// add adds e and reports whether it is a regular file.
func (d digester) add(e entry) bool {
	m := e.info.Mode()
	kind, mode, size := 'f', e.mode(), e.info.Size()
	switch {
	case m.IsDir():
		kind, mode, size = 'd', modeDir, 0
	case m&fs.ModeSymlink != 0:
		kind, mode, size = 'l', modeLink, 0
	}
	fmt.Fprintf(d.h, "%q %c %o %d %d %q\n", e.rel, kind, mode, size, e.info.ModTime().UnixNano(), e.link)
	return kind == 'f'
}

func (d digester) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }
