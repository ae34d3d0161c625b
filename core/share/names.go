package share

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// tempMarker separates a final name from the random token of its temporary
// twin: "S0100012/abc.tzst.tmp-9f2c…". Readers ignore such names.
const tempMarker = ".tmp-"

// IsTemp reports whether name (or its last element) is a writer's
// temporary file or folder, "*.tmp-*", which readers must ignore.
func IsTemp(name string) bool {
	ok, _ := path.Match("*"+tempMarker+"*", path.Base(name))
	return ok
}

// tempName returns a fresh temporary name next to name.
func tempName(name string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return name + tempMarker + hex.EncodeToString(b)
}

// CleanName checks a name given to an FS and returns it cleaned: relative,
// '/'-separated, without "." or empty elements; "" and "." name the root
// and come back as ".". It refuses, with an error wrapping fs.ErrInvalid,
// names that could leave the share's root ("..", a leading '/') and names
// holding a backslash or NUL, which SMB would read as a separator or an end.
// Every FS implementation calls it, so all of them refuse the same names.
func CleanName(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", &fs.PathError{Op: "check name", Path: name, Err: fmt.Errorf("an absolute name is not allowed on a share: %w", fs.ErrInvalid)}
	}
	if strings.ContainsAny(name, "\\\x00") {
		return "", &fs.PathError{Op: "check name", Path: name, Err: fmt.Errorf("a backslash or NUL is not allowed in a share name: %w", fs.ErrInvalid)}
	}
	var segs []string
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "", ".":
			continue
		case "..":
			return "", &fs.PathError{Op: "check name", Path: name, Err: fmt.Errorf("'..' would leave the share: %w", fs.ErrInvalid)}
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return ".", nil
	}
	return strings.Join(segs, "/"), nil
}
