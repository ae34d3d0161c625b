package localapi

import (
	"errors"
	"net"
)

// ListenConfig says who may open a service's socket.
type ListenConfig struct {
	// Public lets every local user connect (the PCM socket: the peer's
	// credentials then decide what each may do). Otherwise only the
	// service's own user, root and (Windows) SYSTEM and Administrators can
	// open it: mode 0600 on Unix.
	Public bool
	// SDDL, when set, replaces the named pipe's security descriptor on
	// Windows; it is ignored on Unix.
	SDDL string
	// Service names the service in sentences, e.g. "the site service".
	Service string
}

func (c ListenConfig) service() string {
	if c.Service == "" {
		return "a service"
	}
	return c.Service
}

// ErrNoService means nothing answers at the address: no socket, or a stale
// one whose service is gone. The caller then works without the service
// (embedded), as it would with none installed.
var ErrNoService = errors.New("no service answers at this address")

// Listen opens the service's socket at addr (see Address). On Unix a
// socket nobody answers on is removed first, but only when it belongs to
// this user and is still the same file; a live service, a socket owned by
// another user, or something that is not a socket is refused with a
// sentence. Closing the listener removes the socket it made.
func Listen(addr string, cfg ListenConfig) (net.Listener, error) {
	return listen(addr, cfg)
}
