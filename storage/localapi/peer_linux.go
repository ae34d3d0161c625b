package localapi

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// peerOf asks the kernel who opened the other end of c (SO_PEERCRED: the
// credentials at connect time, which the client cannot forge).
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("a %T is not a Unix socket, so its user is unknown", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials (SO_PEERCRED): %w", credErr)
	}
	return Peer{
		UID:        strconv.FormatUint(uint64(cred.Uid), 10),
		PID:        int(cred.Pid),
		Privileged: cred.Uid == 0,
		SameUser:   int(cred.Uid) == os.Geteuid(),
	}, nil
}
