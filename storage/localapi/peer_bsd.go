//go:build darwin || freebsd

package localapi

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// peerCreds reads LOCAL_PEERCRED: the peer's uid (these systems give no
// pid with it).
func peerCreds(fd int) (uint32, int, error) {
	cred, err := unix.GetsockoptXucred(fd, unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	if err != nil {
		return 0, 0, fmt.Errorf("LOCAL_PEERCRED: %w", err)
	}
	return cred.Uid, 0, nil
}
