//go:build linux || darwin || freebsd

package localapi

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

// peerOf asks the kernel who opened the other end of c: credentials taken
// at connect time, which the client cannot forge (peerCreds is per system).
func peerOf(c net.Conn) (Peer, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return Peer{}, fmt.Errorf("a %T is not a Unix socket, so its user is unknown", c)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	var uid uint32
	var pid int
	var credErr error
	if err := raw.Control(func(fd uintptr) { uid, pid, credErr = peerCreds(int(fd)) }); err != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	if credErr != nil {
		return Peer{}, fmt.Errorf("reading the peer's credentials: %w", credErr)
	}
	return Peer{
		UID:        strconv.FormatUint(uint64(uid), 10),
		PID:        pid,
		Privileged: uid == 0,
		SameUser:   int(uid) == os.Geteuid(),
	}, nil
}
