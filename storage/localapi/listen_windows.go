package localapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// Address is where the service called name listens for the data directory
// dir: a named pipe whose name carries a hash of the folder's full path
// (pipes live in one flat namespace, not in the folder).
func Address(dir, name string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(strings.ToLower(filepath.Clean(abs))))
	return `\\.\pipe\opensms-` + name + "-" + hex.EncodeToString(sum[:8])
}

func listen(path string, cfg ListenConfig) (net.Listener, error) {
	sddl := cfg.SDDL
	if sddl == "" {
		self, err := selfSID()
		if err != nil {
			return nil, err
		}
		// SYSTEM, Administrators and the service's own account; Public adds
		// read/write for every signed-in user.
		sddl = "D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GA;;;" + self.String() + ")"
		if cfg.Public {
			sddl += "(A;;GRGW;;;AU)"
		}
	}
	l, err := winio.ListenPipe(path, &winio.PipeConfig{SecurityDescriptor: sddl})
	if err != nil {
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) {
			return nil, fmt.Errorf("%s is already running on %s", cfg.service(), path)
		}
		return nil, fmt.Errorf("listening on %s: %w", path, err)
	}
	return l, nil
}

// dial connects to the pipe at path, sorting failures into "no service"
// (ErrNoService) and "not yours" (a sentence).
func dial(ctx context.Context, path, service string) (net.Conn, error) {
	c, err := winio.DialPipeContext(ctx, path)
	if err == nil {
		return c, nil
	}
	switch {
	case errors.Is(err, windows.ERROR_FILE_NOT_FOUND), errors.Is(err, windows.ERROR_PATH_NOT_FOUND):
		return nil, fmt.Errorf("%w: %s at %s", ErrNoService, service, path)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return nil, &Error{Kind: KindForbidden, Message: fmt.Sprintf("%s at %s is open only to its own account and Administrators; run this as that account or elevated", service, path)}
	}
	return nil, &Error{Kind: KindUnavailable, Message: fmt.Sprintf("connecting to %s at %s: %v", service, path, err)}
}
