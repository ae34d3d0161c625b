package localapi

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// peerCreds reads SO_PEERCRED: the peer's uid and pid.
func peerCreds(fd int) (uint32, int, error) {
	cred, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return 0, 0, fmt.Errorf("SO_PEERCRED: %w", err)
	}
	return cred.Uid, int(cred.Pid), nil
}
