//go:build !windows

package localapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Address is where the service called name listens for the data directory
// dir: DIR/NAME.sock on Unix.
func Address(dir, name string) string {
	return filepath.Join(dir, name+".sock")
}

// maxSocketPath is the longest path a Unix socket may have (sun_path less
// its NUL; 104 on the BSDs, 108 on Linux: the smaller is used everywhere).
const maxSocketPath = 103

func listen(path string, cfg ListenConfig) (net.Listener, error) {
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("the socket path %s is %d bytes, longer than a Unix socket may be (%d); use a data directory with a shorter path", path, len(path), maxSocketPath)
	}
	if err := removeStale(path, cfg.service()); err != nil {
		return nil, err
	}
	// Bind under a private name, set the mode, then link it into place:
	// nobody can connect before the mode is right, and a service that
	// started at the same moment is not overwritten (link refuses).
	var b [4]byte
	_, _ = rand.Read(b[:])
	tmp := filepath.Join(filepath.Dir(path), ".s-"+hex.EncodeToString(b[:]))
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false)
	mode := os.FileMode(0o600)
	if cfg.Public {
		mode = 0o666
	}
	fail := func(err error) (net.Listener, error) {
		l.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fail(fmt.Errorf("setting the mode of %s: %w", path, err))
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fail(fmt.Errorf("%s started at the same moment and holds %s", cfg.service(), path))
		}
		return fail(fmt.Errorf("putting the socket in place at %s: %w", path, err))
	}
	os.Remove(tmp)
	fi, err := os.Lstat(path)
	if err != nil {
		return fail(fmt.Errorf("reading the socket %s: %w", path, err))
	}
	return &unixListener{UnixListener: l, path: path, fi: fi}, nil
}

// unixListener removes its socket when closed, if the file is still the
// one it made (a successor's socket is left alone).
type unixListener struct {
	*net.UnixListener
	path string
	fi   os.FileInfo
	once sync.Once
}

func (l *unixListener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() {
		if now, statErr := os.Lstat(l.path); statErr == nil && os.SameFile(now, l.fi) {
			os.Remove(l.path)
		}
	})
	return err
}

// removeStale removes the socket at path when nobody answers on it, it is
// this user's and it is still the same file; otherwise it says why the
// path cannot be used.
func removeStale(path, service string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s exists and is not a socket; move it away before starting %s", path, service)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Geteuid() {
		return fmt.Errorf("%s belongs to %s, not to %s who is starting %s; stop the service that user runs, or remove the socket as that user", path, userName(uid), userName(os.Geteuid()), service)
	}
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s is already running on %s", service, path)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("checking whether anything answers on %s: %w", path, err)
	}
	now, err := os.Lstat(path)
	if err != nil || !os.SameFile(fi, now) {
		return nil // gone or replaced meanwhile: the link below decides
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the stale socket %s: %w", path, err)
	}
	return nil
}

// fileOwner returns the uid that owns fi.
func fileOwner(fi os.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

// userName names uid for a sentence: "user alice (uid 1000)".
func userName(uid int) string {
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		return "user " + u.Username + " (uid " + id + ")"
	}
	return "uid " + id
}

// dial connects to the socket at path, sorting failures into "no service"
// (absent or stale: ErrNoService) and "not yours" (a sentence).
func dial(ctx context.Context, path, service string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err == nil {
		return c, nil
	}
	switch {
	case errors.Is(err, os.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("%w: %s at %s", ErrNoService, service, path)
	case errors.Is(err, os.ErrPermission):
		owner := "another user"
		// The socket itself, else the nearest folder above it that this
		// user may look at (the one it may not enter).
		for p := path; ; p = filepath.Dir(p) {
			if fi, statErr := os.Stat(p); statErr == nil {
				if uid, ok := fileOwner(fi); ok {
					owner = userName(uid)
				}
				break
			}
			if p == filepath.Dir(p) {
				break
			}
		}
		return nil, &Error{Kind: KindForbidden, Message: fmt.Sprintf("%s at %s belongs to %s; run this as that user or as root", service, path, owner)}
	}
	return nil, &Error{Kind: KindUnavailable, Message: fmt.Sprintf("connecting to %s at %s: %v", service, path, err)}
}
