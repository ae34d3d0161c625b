// Package pack turns a package's source folder into one compressed archive
// and back: a deterministic tar, compressed with zstd and named by its
// SHA-256, so that the same source gives the same bytes and the same name
// on every Administrator, and a client can check what it fetched against the
// hash in its signed instructions before it unpacks a byte.
//
// A source is a local folder (Pack) or a folder read through an io/fs file
// system, such as a folder on an SMB share (PackFS). The archive holds
// names, contents and normalised modes, every time fixed: a file keeps
// only its executable bit (0755 or 0644) and a folder is 0755. A share
// carries no executable bit, so from a share every file packs 0644, every
// folder 0755, and the same tree packs to the same SHA-256 from a share
// as from a local folder whose files are not executable; a Linux or macOS
// command line of such a package names its interpreter (sh setup.sh).
//
// Both directions stream: neither an archive nor a file is ever held whole
// in memory. Unpacking refuses absolute names, names and links that would
// leave the package folder, device nodes and archives larger than the
// limits, each with a sentence naming the entry.
package pack

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
)

// ArchiveExt is the archive file extension: tar + zstd.
const ArchiveExt = ".tzst"

// fixedTime is every entry's modification time, so that touching a file
// without changing it does not change the archive.
var fixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Normalised modes: the executable bit is all that survives of a file's
// permissions, because it is all that a package needs and all that Windows
// and Unix clients agree on.
const (
	modeDir  = 0o755
	modeExec = 0o755
	modeFile = 0o644
	modeLink = 0o777
)

func fileMode(perm uint32) int64 {
	if perm&0o111 != 0 {
		return modeExec
	}
	return modeFile
}

// sentence is an error whose text is a sentence for people and that still
// matches the error it stands for (fs.ErrNotExist, context.Canceled, …).
type sentence struct {
	msg string
	err error
}

func (e *sentence) Error() string { return e.msg }
func (e *sentence) Unwrap() error { return e.err }

func sentencef(err error, format string, args ...any) error {
	return &sentence{msg: fmt.Sprintf(format, args...), err: err}
}

// ErrRefused is wrapped by every refusal of an entry: a source the packer
// will not take, or an archive entry Unpack will not write.
var ErrRefused = errors.New("refused")

// ErrChanged is wrapped when a source file changed while it was being
// read (its size or modification time is not what it was when it was
// opened): the archive would match neither version. PackFile packs again.
var ErrChanged = errors.New("changed while packed")

// ErrMismatch is wrapped when an archive's size or hash is not what the
// signed instructions say.
var ErrMismatch = errors.New("archive does not match")

// maxLinkHops bounds how many links a target may pass through, as the Linux
// kernel does.
const maxLinkHops = 40

// linkProblem tells whether following the link at name (a clean
// slash-separated path relative to the tree's root) to target stays inside
// the tree. readlink says whether a path in the tree is a link and gives its
// target; paths the tree does not hold are taken as plain folders. It
// returns "" when the link stays inside, or what is wrong.
func linkProblem(name, target string, readlink func(string) (string, bool)) string {
	if bad := targetSyntax(target); bad != "" {
		return bad
	}
	var stack []string
	if d := path.Dir(name); d != "." {
		stack = strings.Split(d, "/")
	}
	pending := strings.Split(target, "/")
	hops := 0
	for len(pending) > 0 {
		c := pending[0]
		pending = pending[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) == 0 {
				return "points outside the package folder"
			}
			stack = stack[:len(stack)-1]
			continue
		}
		p := path.Join(path.Join(stack...), c)
		if t, ok := readlink(p); ok {
			if hops++; hops > maxLinkHops {
				return "goes round a loop of links"
			}
			if bad := targetSyntax(t); bad != "" {
				return "passes through " + p + ", which " + bad
			}
			pending = append(strings.Split(t, "/"), pending...)
			continue
		}
		stack = append(stack, c)
	}
	return ""
}

// targetSyntax refuses link targets that no client could follow safely:
// absolute paths, Windows drive or UNC forms, and backslashes, which Windows
// reads as separators.
func targetSyntax(target string) string {
	switch {
	case target == "":
		return "has an empty target"
	case strings.HasPrefix(target, "/"):
		return "points to the absolute path " + target
	case strings.ContainsRune(target, '\\'):
		return "has a backslash in its target " + target
	case len(target) >= 2 && target[1] == ':':
		return "points to the drive path " + target
	}
	return ""
}

// entryNameProblem checks a relative, slash-separated entry name.
func entryNameProblem(name string) string {
	switch {
	case name == "":
		return "has an empty name"
	case strings.HasPrefix(name, "/"), len(name) >= 2 && name[1] == ':':
		return "has an absolute name"
	case strings.ContainsRune(name, '\\'):
		return "has a backslash in its name, which Windows reads as a folder separator"
	case strings.ContainsRune(name, 0):
		return "has a NUL byte in its name"
	}
	c := path.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "would leave the package folder"
	}
	return ""
}
