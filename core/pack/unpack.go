package pack

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// Default unpacking limits: generous for any real package, small enough
// that a hostile archive cannot fill a client's disk or inode table.
const (
	DefaultMaxBytes = 64 << 30
	DefaultMaxFiles = 1_000_000
)

// maxWindow caps the zstd window a client accepts. Pack's encoder uses
// 8 MiB at every level; the cap only bounds memory for hostile input.
const maxWindow = 128 << 20

// maxTrailing is how much an archive may carry after the tar end (GNU tar
// pads to 10 KiB records), all of it read so the zstd checksum is checked.
const maxTrailing = 1 << 20

// UnpackOptions limits Unpack.
type UnpackOptions struct {
	MaxBytes int64 // total bytes of files; 0 means DefaultMaxBytes
	MaxFiles int   // entries of any kind; 0 means DefaultMaxFiles
	// Progress, when set, is called after each entry with the totals so far.
	Progress func(UnpackStats)
}

// UnpackStats describes what Unpack wrote.
type UnpackStats struct {
	Files int   // regular files, hard links included
	Dirs  int   // folders
	Links int   // symbolic links
	Bytes int64 // bytes of the regular files
}

// Unpack reads a compressed archive made by Pack and writes its tree into
// dstDir, creating it if needed. It refuses absolute names, names and links
// that would leave dstDir, device nodes and archives over the limits, each
// with a sentence naming the entry that wraps ErrRefused. Every write goes
// through an os.Root on dstDir, so even an entry the checks missed cannot
// land outside it. On error dstDir may hold part of the tree; the caller
// removes it.
func Unpack(ctx context.Context, r io.Reader, dstDir string, opt UnpackOptions) (UnpackStats, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = DefaultMaxBytes
	}
	if opt.MaxFiles <= 0 {
		opt.MaxFiles = DefaultMaxFiles
	}
	if err := os.MkdirAll(dstDir, modeDir); err != nil {
		return UnpackStats{}, sentencef(err, "cannot create package folder %s: %v", dstDir, pathErr(err))
	}
	root, err := os.OpenRoot(dstDir)
	if err != nil {
		return UnpackStats{}, sentencef(err, "cannot open package folder %s: %v", dstDir, pathErr(err))
	}
	defer root.Close()
	zr, err := zstd.NewReader(r, zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return UnpackStats{}, fmt.Errorf("unpacking into %s: %w", dstDir, err)
	}
	defer zr.Close()

	u := &unpacker{root: root, dst: dstDir, opt: opt, links: map[string]string{}}
	tr := tar.NewReader(zr)
	for {
		if err := ctx.Err(); err != nil {
			return u.st, sentencef(err, "unpacking into %s stopped: %v", dstDir, err)
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return u.st, u.damaged(err)
		}
		if err := u.entry(ctx, tr, hdr); err != nil {
			return u.st, err
		}
		if opt.Progress != nil {
			opt.Progress(u.st)
		}
	}
	if n, err := io.CopyN(io.Discard, zr, maxTrailing+1); err != io.EOF {
		if err != nil {
			return u.st, u.damaged(err)
		}
		return u.st, sentencef(ErrRefused, "archive goes on for more than %d bytes after its end (%d read)", maxTrailing, n)
	}
	return u.st, u.checkLinks()
}

type unpacker struct {
	root  *os.Root
	dst   string
	opt   UnpackOptions
	buf   []byte // see buffer
	st    UnpackStats
	n     int               // entries seen
	links map[string]string // symbolic links written: name → target
}

func (u *unpacker) damaged(err error) error {
	return sentencef(err, "archive for %s is damaged or not an OpenSMS archive: %v", u.dst, err)
}

func refuse(name, format string, args ...any) error {
	return sentencef(ErrRefused, "archive entry %q "+format, append([]any{name}, args...)...)
}

func (u *unpacker) entry(ctx context.Context, tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // PAX global defaults; nothing to write
	}
	if bad := entryNameProblem(hdr.Name); bad != "" {
		return refuse(hdr.Name, "%s", bad)
	}
	name := path.Clean(hdr.Name)
	if name == "." {
		if hdr.Typeflag == tar.TypeDir {
			return nil
		}
		return refuse(hdr.Name, "names the package folder itself")
	}
	if u.n++; u.n > u.opt.MaxFiles {
		return refuse(hdr.Name, "is entry number %d, more than the %d allowed", u.n, u.opt.MaxFiles)
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := u.clear(hdr.Name, name, true); err != nil {
			return err
		}
		if err := u.root.MkdirAll(name, modeDir); err != nil {
			return u.cannot(hdr.Name, err)
		}
		u.st.Dirs++
	case tar.TypeReg:
		if hdr.Size < 0 || hdr.Size > u.opt.MaxBytes-u.st.Bytes {
			return refuse(hdr.Name, "would bring the package past %d bytes, the most allowed", u.opt.MaxBytes)
		}
		if err := u.clear(hdr.Name, name, false); err != nil {
			return err
		}
		if err := u.writeFile(ctx, tr, hdr, name); err != nil {
			return err
		}
		u.st.Files++
		u.st.Bytes += hdr.Size
	case tar.TypeSymlink:
		if bad := linkProblem(name, hdr.Linkname, u.readlink); bad != "" {
			return refuse(hdr.Name, "is a link that %s", bad)
		}
		if err := u.clear(hdr.Name, name, false); err != nil {
			return err
		}
		if err := u.root.Symlink(hdr.Linkname, name); err != nil {
			return u.cannot(hdr.Name, err)
		}
		u.links[name] = hdr.Linkname
		u.st.Links++
	case tar.TypeLink:
		if bad := entryNameProblem(hdr.Linkname); bad != "" {
			return refuse(hdr.Name, "is a hard link to %q, which %s", hdr.Linkname, bad)
		}
		old := path.Clean(hdr.Linkname)
		if fi, err := u.root.Lstat(old); err != nil || !fi.Mode().IsRegular() {
			return refuse(hdr.Name, "is a hard link to %q, which is not a file the archive wrote before it", hdr.Linkname)
		}
		if err := u.clear(hdr.Name, name, false); err != nil {
			return err
		}
		if err := u.root.Link(old, name); err != nil {
			return u.cannot(hdr.Name, err)
		}
		u.st.Files++
	case tar.TypeChar, tar.TypeBlock:
		return refuse(hdr.Name, "is a device node; a package holds only files, folders and links")
	case tar.TypeFifo:
		return refuse(hdr.Name, "is a named pipe; a package holds only files, folders and links")
	default:
		return refuse(hdr.Name, "has type %q, which OpenSMS does not unpack", string(hdr.Typeflag))
	}
	return nil
}

// cannot reports a write that failed. os.Root's own refusals (a path that
// escapes through a link) land here too, but the checks before every write
// refuse those first, with a better sentence.
func (u *unpacker) cannot(entry string, err error) error {
	return sentencef(err, "archive entry %q cannot be written in %s: %v", entry, u.dst, pathErr(err))
}

// clear makes room for an entry: it creates the parent folders and removes
// a file or link already at the name, as tar does, so a later entry never
// writes through an earlier link. It refuses to replace a folder with
// something else.
func (u *unpacker) clear(entry, name string, dir bool) error {
	if d := path.Dir(name); d != "." {
		if err := u.root.MkdirAll(d, modeDir); err != nil {
			return u.cannot(entry, err)
		}
	}
	fi, err := u.root.Lstat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return u.cannot(entry, err)
	case fi.IsDir() && dir:
		return nil
	case fi.IsDir():
		return refuse(entry, "would replace the folder of the same name")
	}
	delete(u.links, name)
	if err := u.root.Remove(name); err != nil {
		return u.cannot(entry, err)
	}
	return nil
}

func (u *unpacker) writeFile(ctx context.Context, tr *tar.Reader, hdr *tar.Header, name string) error {
	perm := fs.FileMode(fileMode(uint32(hdr.Mode)))
	f, err := u.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return u.cannot(hdr.Name, err)
	}
	buf := u.buffer(hdr.Size)
	var done int64
	for done < hdr.Size {
		if err := ctx.Err(); err != nil {
			f.Close()
			return sentencef(err, "unpacking into %s stopped at %q: %v", u.dst, hdr.Name, err)
		}
		n, rerr := tr.Read(buf[:min(int64(len(buf)), hdr.Size-done)])
		if n > 0 {
			if _, err := f.Write(buf[:n]); err != nil {
				f.Close()
				return u.cannot(hdr.Name, err)
			}
			done += int64(n)
		}
		if rerr != nil && !(rerr == io.EOF && done == hdr.Size) {
			f.Close()
			if rerr == io.EOF {
				rerr = io.ErrUnexpectedEOF
			}
			return u.damaged(rerr)
		}
	}
	if err := f.Close(); err != nil {
		return u.cannot(hdr.Name, err)
	}
	return nil
}

// buffer returns the copy buffer, grown to fit a file of the given size
// up to copyBufSize; a package of small files never allocates the full
// megabyte.
func (u *unpacker) buffer(size int64) []byte {
	if int64(len(u.buf)) < size && len(u.buf) < copyBufSize {
		u.buf = make([]byte, min(copyBufSize, max(size, 64<<10)))
	}
	return u.buf
}

// readlink is linkProblem's view of the tree written so far.
func (u *unpacker) readlink(name string) (string, bool) {
	fi, err := u.root.Lstat(name)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return "", false
	}
	t, err := u.root.Readlink(name)
	if err != nil {
		return "/", true // unreadable: treated as leaving
	}
	return t, true
}

// checkLinks looks at every link again once the tree is complete: a link
// that stayed inside when it was written may leave through a link written
// after it (a -> b/../x is inside while b is a folder, but once b -> . the
// .. climbs out of the package folder).
func (u *unpacker) checkLinks() error {
	for _, name := range slices.Sorted(maps.Keys(u.links)) {
		target := u.links[name]
		if bad := linkProblem(name, target, u.readlink); bad != "" {
			u.root.Remove(name)
			return refuse(name, "is a link that %s once the whole archive is unpacked", bad)
		}
	}
	return nil
}
