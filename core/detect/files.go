package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"opensms/core/model"
)

// expand replaces %NAME% (Windows' way, as vendors' files write
// %ProgramFiles%) and $NAME or ${NAME} (the Unix way, $HOME) with this
// computer's environment. Both forms are expanded on every platform: a
// Windows path holds no $NAME and a Unix path rarely a %NAME%; a % or $
// that starts no name stays as it is. An unset variable is an error naming
// it.
func (e *Evaluator) expand(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		var name string
		var n int // bytes the reference takes
		switch c {
		case '%':
			if j := strings.IndexByte(p[i+1:], '%'); j > 0 && winName(p[i+1:i+1+j]) {
				name, n = p[i+1:i+1+j], j+2
			}
		case '$':
			if i+1 < len(p) && p[i+1] == '{' {
				if j := strings.IndexByte(p[i+2:], '}'); j > 0 && unixName(p[i+2:i+2+j]) {
					name, n = p[i+2:i+2+j], j+3
				}
			} else {
				j := i + 1
				for j < len(p) && (p[j] == '_' || isAlnum(p[j])) {
					j++
				}
				if unixName(p[i+1 : j]) {
					name, n = p[i+1:j], j-i
				}
			}
		}
		if n == 0 {
			b.WriteByte(c)
			i++
			continue
		}
		v, ok := e.env(name)
		if !ok {
			return "", fmt.Errorf("the environment variable %s is not set here, so %s cannot be checked", name, p)
		}
		b.WriteString(v)
		i += n
	}
	return b.String(), nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// winName accepts what Windows' own variables look like, including
// ProgramFiles(x86) and CommonProgramW6432.
func winName(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '(' && c != ')' {
			return false
		}
	}
	return true
}

func unixName(s string) bool {
	if s == "" || len(s) > 64 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' {
			return false
		}
	}
	return true
}

// target expands a file rule's path. name is what sentences call it: the
// path as written, and what it became when it held variables.
func (e *Evaluator) target(r model.DetectionRule) (path, name string, res *Result) {
	path, err := e.expand(r.Path)
	if err != nil {
		na := notApplicable("%v", err)
		return "", "", &na
	}
	if path == r.Path {
		return path, path, nil
	}
	return path, fmt.Sprintf("%s (%s)", r.Path, path), nil
}

// statFile stats a path that must be a regular file; anything else is a
// NotHeld result saying what is there instead.
func statFile(path, name string) (fs.FileInfo, *Result) {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r := notHeld("%s does not exist", name)
		return nil, &r
	case err != nil:
		r := notHeld("%s cannot be checked: %v", name, unwrapPath(err))
		return nil, &r
	case fi.IsDir():
		r := notHeld("%s is a folder, not a file", name)
		return nil, &r
	case !fi.Mode().IsRegular():
		// A pipe or a device could block or never end: never open one.
		r := notHeld("%s is not a regular file (%s)", name, fi.Mode().Type())
		return nil, &r
	}
	return fi, nil
}

// openFile opens a regular file for reading.
func openFile(path, name string) (*os.File, fs.FileInfo, *Result) {
	fi, res := statFile(path, name)
	if res != nil {
		return nil, nil, res
	}
	f, err := os.Open(path)
	if err != nil {
		r := notHeld("%s cannot be read: %v", name, unwrapPath(err))
		return nil, nil, &r
	}
	return f, fi, nil
}

// unwrapPath drops the *PathError's own copy of the path: the sentence
// names it already.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func checkExists(e *Evaluator, r model.DetectionRule) Result {
	path, name, res := e.target(r)
	if res != nil {
		return *res
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return notHeld("%s does not exist", name)
	case err != nil:
		return notHeld("%s cannot be checked: %v", name, unwrapPath(err))
	case fi.IsDir():
		return holds("the folder %s exists", name)
	}
	return holds("%s exists", name)
}

func checkSize(e *Evaluator, r model.DetectionRule) Result {
	want, err := strconv.ParseInt(strings.TrimSpace(r.Value), 10, 64)
	if err != nil || want < 0 {
		return notApplicable("the size %q for %s is not a number of bytes", r.Value, r.Path)
	}
	path, name, res := e.target(r)
	if res != nil {
		return *res
	}
	fi, res := statFile(path, name)
	if res != nil {
		res.Reason += fmt.Sprintf("; expected a file of %d bytes", want)
		return *res
	}
	if fi.Size() != want {
		return notHeld("%s is %d bytes, expected %d", name, fi.Size(), want)
	}
	return holds("%s is %d bytes", name, want)
}

func checkSHA256(e *Evaluator, r model.DetectionRule) Result {
	want := strings.ToLower(strings.TrimSpace(r.Value))
	if _, err := hex.DecodeString(want); err != nil || len(want) != 2*sha256.Size {
		return notApplicable("the SHA-256 %q for %s is not 64 hex digits", r.Value, r.Path)
	}
	path, name, res := e.target(r)
	if res != nil {
		return *res
	}
	f, _, res := openFile(path, name)
	if res != nil {
		res.Reason += fmt.Sprintf("; expected SHA-256 %s", want)
		return *res
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return notHeld("%s cannot be read: %v", name, unwrapPath(err))
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return notHeld("%s has SHA-256 %s, expected %s", name, got, want)
	}
	return holds("%s has SHA-256 %s", name, want)
}
