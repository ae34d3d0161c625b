package localapi

import (
	"context"
	"errors"
	"net/http"
)

// Peer is who is on the other end of one connection, as the kernel says
// (SO_PEERCRED on Linux, the pipe client's process token on Windows), never
// as the client claims.
type Peer struct {
	// UID is the user: a decimal uid on Unix, a SID on Windows.
	UID string
	// PID is the peer's process id when the system tells it (0 otherwise).
	PID int
	// Privileged is root on Unix; SYSTEM or an elevated Administrator on Windows.
	Privileged bool
	// SameUser is true when the peer runs as the service's own user.
	SameUser bool
}

// OwnerOrPrivileged reports whether p is the service's own user or root
// (SYSTEM/Administrators): who may use the admin socket.
func (p Peer) OwnerOrPrivileged() bool { return p.SameUser || p.Privileged }

type peerKey struct{}

type peerResult struct {
	peer Peer
	err  error
}

// PeerFrom returns the peer of the connection a request came on. The error
// says why the system could not tell; a service must then refuse.
func PeerFrom(ctx context.Context) (Peer, error) {
	r, ok := ctx.Value(peerKey{}).(peerResult)
	if !ok {
		return Peer{}, errors.New("the request did not come through a local socket, so its user is unknown")
	}
	return r.peer, r.err
}

// RequirePeer wraps h so that only peers allowed by ok reach it; the
// others get a forbidden error with the sentence deny returns.
func RequirePeer(h http.Handler, ok func(Peer) bool, deny func(Peer) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := PeerFrom(r.Context())
		if err != nil {
			WriteError(w, http.StatusForbidden, KindForbidden, err.Error())
			return
		}
		if !ok(p) {
			WriteError(w, http.StatusForbidden, KindForbidden, deny(p))
			return
		}
		h.ServeHTTP(w, r)
	})
}
