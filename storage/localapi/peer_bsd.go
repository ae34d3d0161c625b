//go:build darwin || freebsd

package localapi

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// peerOf asks the kernel who opened the other end of c (LOCAL_PEERCRED).
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("a %T is not a Unix socket, so its user is unknown", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	var cred *unix.Xucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptXucred(int(fd), unix.SOL_LOCAL, unix.LOCAL_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials (LOCAL_PEERCRED): %w", credErr)
	}
	return Peer{
		UID:        strconv.FormatUint(uint64(cred.Uid), 10),
		Privileged: cred.Uid == 0,
		SameUser:   int(cred.Uid) == os.Geteuid(),
	}, nil
}
