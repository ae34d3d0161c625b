package smbfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/cloudsoda/go-smb2"

	"opensms/core/share"
)

// NTSTATUS codes ([MS-ERREF] 2.3.1) that decide how an error is classed.
// go-smb2 keeps its table internal, and already turns NAME_COLLISION,
// NAME_NOT_FOUND, PATH_NOT_FOUND, ACCESS_DENIED and CANNOT_DELETE into
// os.ErrExist, os.ErrNotExist and os.ErrPermission.
const (
	statusNoSuchFile              = 0xC000000F
	statusObjectNameInvalid       = 0xC0000033
	statusObjectNameNotFound      = 0xC0000034
	statusObjectNameCollision     = 0xC0000035
	statusObjectPathNotFound      = 0xC000003A
	statusAccessDenied            = 0xC0000022
	statusQuotaExceeded           = 0xC0000044
	statusNoSuchUser              = 0xC0000064
	statusWrongPassword           = 0xC000006A
	statusLogonFailure            = 0xC000006D
	statusAccountRestriction      = 0xC000006E
	statusInvalidLogonHours       = 0xC000006F
	statusInvalidWorkstation      = 0xC0000070
	statusPasswordExpired         = 0xC0000071
	statusAccountDisabled         = 0xC0000072
	statusDiskFull                = 0xC000007F
	statusPrivilegeNotHeld        = 0xC0000061
	statusMediaWriteProtected     = 0xC00000A2
	statusNetworkNameDeleted      = 0xC00000C9
	statusNetworkAccessDenied     = 0xC00000CA
	statusBadNetworkName          = 0xC00000CC
	statusNotSupported            = 0xC00000BB
	statusAccountExpired          = 0xC0000193
	statusConnectionDisconnected  = 0xC000020C
	statusUserSessionDeleted      = 0xC0000203
	statusPasswordMustChange      = 0xC0000224
	statusAccountLockedOut        = 0xC0000234
	statusNetworkSessionExpired   = 0xC000035C
	statusLogonTypeNotGranted     = 0xC000015B
	statusTrustedRelationshipFail = 0xC000018D
)

// classify adds to err the sentinel that says what it means: fs.ErrNotExist,
// fs.ErrExist, fs.ErrInvalid, or share.ErrAuth, ErrNoShare, ErrFull,
// ErrUnreachable. ctx is the FS's: its end is reported as such.
func classify(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	// go-smb2 names the path inside the share; the caller names it fully.
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var re *smb2.ResponseError
	if errors.As(err, &re) {
		return classifyStatus(re)
	}
	// go-smb2 returns the context's error as it is.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if cause := context.Cause(ctx); cause != nil {
			return fmt.Errorf("gave up: %w", cause)
		}
		// A bound below the FS's (the dial timeout) ran out.
		return fmt.Errorf("no answer in time: %w: %w", share.ErrUnreachable, err)
	}
	var ie *smb2.InvalidResponseError
	if errors.As(err, &ie) {
		switch ie.Message {
		case "packet failed signature verification":
			return fmt.Errorf("an answer from the server failed its signature check while signing is required (by the server, or by this server entry's Require signing): the server did not sign it, or something on the way changed it; a server that does not sign must be made to (Samba: server signing = mandatory; Windows: RequireSecuritySignature), or Require signing cleared here: %w", share.ErrSecurity)
		case "guest account doesn't support signing", "anonymous account doesn't support signing":
			return fmt.Errorf("the server let the user in only as a guest, who cannot sign: it does not know the user or the password: %w: %w", share.ErrLogon, share.ErrAuth)
		}
	}
	var te *smb2.TransportError
	if errors.As(err, &te) {
		if errors.Is(te.Err, errPlainText) {
			return fmt.Errorf("the server sent or was to get an unencrypted message on a connection shown to be encrypted, which this server entry requires: %w", share.ErrSecurity)
		}
		if errors.Is(te.Err, net.ErrClosed) {
			return fmt.Errorf("the connection was closed (the server stopped answering, or the share was closed): %w", share.ErrUnreachable)
		}
		if errors.Is(te.Err, io.EOF) {
			// Not io.EOF itself: a reader would take it for the file's end.
			return fmt.Errorf("the server closed the connection: %w", share.ErrUnreachable)
		}
		return fmt.Errorf("the connection broke: %w: %w", share.ErrUnreachable, te.Err)
	}
	switch {
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w (%w)", share.ErrAuth, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed), isTimeout(err):
		// %v: a wrapped io.EOF would read as the end of a file.
		return fmt.Errorf("%w (%v)", share.ErrUnreachable, err)
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func classifyStatus(re *smb2.ResponseError) error {
	switch re.Code {
	case statusLogonFailure, statusWrongPassword, statusNoSuchUser:
		return fmt.Errorf("wrong user name or password: %w: %w (%v)", share.ErrLogon, share.ErrAuth, re)
	case statusAccountRestriction, statusInvalidLogonHours, statusInvalidWorkstation, statusPasswordExpired,
		statusAccountDisabled, statusAccountExpired, statusPasswordMustChange, statusAccountLockedOut,
		statusLogonTypeNotGranted, statusTrustedRelationshipFail:
		return fmt.Errorf("the account may not log on now: %w: %w (%v)", share.ErrLogon, share.ErrAuth, re)
	case statusAccessDenied, statusNetworkAccessDenied, statusPrivilegeNotHeld, statusMediaWriteProtected:
		return fmt.Errorf("%w (%v)", share.ErrAuth, re)
	case statusBadNetworkName:
		return fmt.Errorf("%w (%v)", share.ErrNoShare, re)
	case statusDiskFull, statusQuotaExceeded:
		return fmt.Errorf("%w (%v)", share.ErrFull, re)
	case statusObjectNameNotFound, statusObjectPathNotFound, statusNoSuchFile:
		return fmt.Errorf("%w (%v)", fs.ErrNotExist, re)
	case statusObjectNameCollision:
		return fmt.Errorf("%w (%v)", fs.ErrExist, re)
	case statusObjectNameInvalid:
		return fmt.Errorf("a name the server does not accept: %w (%v)", fs.ErrInvalid, re)
	case statusNetworkNameDeleted, statusConnectionDisconnected, statusUserSessionDeleted, statusNetworkSessionExpired:
		return fmt.Errorf("%w (%v)", share.ErrUnreachable, re)
	}
	return re
}

// explain is classify for the handshake of one attempt: it says what a
// refusal of a pinned SMB 2 dialect means, at the session ("session") or
// the tree connect ("share"). The dialect policy never ends on such a
// refusal: it tries SMB 3 next.
func (a *attempt) explain(ctx context.Context, dialect uint16, stage string, err error) error {
	if dialect != SMB210 {
		return classify(ctx, err)
	}
	switch {
	case hasStatus(err, statusNotSupported):
		return fmt.Errorf("the server does not speak SMB %s, the dialect this server entry pins (its minimum protocol is higher): pin SMB 3 or no dialect: %w (%v)", dialectName(dialect), share.ErrSecurity, err)
	case accessDenied(err) && stage == "session":
		return fmt.Errorf("the server refused an SMB %s session after the password was accepted, as servers that require encryption do (it needs SMB 3): pin SMB 3 or no dialect on this server entry: %w (%v)", dialectName(dialect), share.ErrSecurity, err)
	case accessDenied(err):
		return fmt.Errorf("the share refused the SMB %s connection: it requires encryption, which needs SMB 3 (then pin SMB 3 or no dialect on this server entry), or does not admit this user: %w (%v)", dialectName(dialect), share.ErrAuth, err)
	}
	return classify(ctx, err)
}

func dialectName(d uint16) string { return fmt.Sprintf("%d.%d", d>>8, (d&0xff)>>4) }

// stallGuard closes the connection when calls have waited for StallTimeout
// with none finishing: go-smb2 would otherwise wait for ever on a server
// that keeps the TCP connection open but no longer answers.
type stallGuard struct {
	timeout time.Duration
	kill    func()

	mu       sync.Mutex
	active   int
	progress time.Time // last time a call started on an idle guard or finished
	done     chan struct{}
	stopped  sync.Once
}

func newStallGuard(timeout time.Duration, kill func()) *stallGuard {
	g := &stallGuard{timeout: timeout, kill: kill, done: make(chan struct{})}
	if timeout > 0 {
		go g.watch()
	}
	return g
}

func (g *stallGuard) watch() {
	t := time.NewTicker(min(time.Second, g.timeout/4))
	defer t.Stop()
	for {
		select {
		case <-g.done:
			return
		case now := <-t.C:
			g.mu.Lock()
			stalled := g.active > 0 && now.Sub(g.progress) > g.timeout
			g.mu.Unlock()
			if stalled {
				g.kill()
				return
			}
		}
	}
}

func (g *stallGuard) enter() {
	g.mu.Lock()
	if g.active == 0 {
		g.progress = time.Now()
	}
	g.active++
	g.mu.Unlock()
}

func (g *stallGuard) exit() {
	g.mu.Lock()
	g.active--
	g.progress = time.Now()
	g.mu.Unlock()
}

func (g *stallGuard) stop() { g.stopped.Do(func() { close(g.done) }) }
