package watchdog

import (
	"context"
	"sync"

	"opensms/core/model"
	"opensms/core/share"
)

// sessionPool keeps the share connections a cycle made once their
// operation is done, so that the next operation on the same share takes
// one instead of connecting anew. A connection costs a login and, on
// Samba, a new server process (12.7 ms of smbd's CPU here): a first cycle
// at 10,000 computers made one per job and server, 140 for 100 jobs, most
// of them for a single Stat. A connection serves one operation at a time,
// so operations run as many at once as before, each on its own
// connection. One whose operation failed is closed, not kept: a broken SMB
// session stays broken, and the retry connects anew. The connections are
// opened under the cycle's context, not the job's, since they outlive the
// job that opened them; a canceled job still stops between the chunks it
// copies. The cycle owns the pool and closes what it holds when it ends.
type sessionPool struct {
	ctx    context.Context
	op     share.Opener
	mu     sync.Mutex
	idle   map[string][]share.FS
	closed bool
}

func newSessionPool(ctx context.Context, op share.Opener) *sessionPool {
	return &sessionPool{ctx: ctx, op: op, idle: map[string][]share.FS{}}
}

// poolKey names what a kept connection may be reused for: the same share
// and folder, reached as the same user, with the same security required.
func poolKey(loc model.Location, cred model.Credentials, sec share.Security) string {
	k := loc.UNC() + "\x00" + cred.Domain + "\x00" + cred.User
	if sec.RequireSigning {
		k += "\x00signing"
	}
	if sec.RequireEncryption {
		k += "\x00encryption"
	}
	return k
}

// take returns a kept connection to loc, or a new one; give it back with
// give, with the error of what it was used for.
func (p *sessionPool) take(ctx context.Context, loc model.Location, cred model.Credentials, sec share.Security) (share.FS, error) {
	key := poolKey(loc, cred, sec)
	p.mu.Lock()
	if l := p.idle[key]; len(l) > 0 {
		fsys := l[len(l)-1]
		p.idle[key] = l[:len(l)-1]
		p.mu.Unlock()
		return fsys, nil
	}
	p.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.op.Open(share.WithSecurity(p.ctx, sec), loc, cred)
}

// give keeps fsys for the next take, unless what it was used for failed
// or the pool is closed.
func (p *sessionPool) give(fsys share.FS, loc model.Location, cred model.Credentials, sec share.Security, err error) {
	if err != nil {
		_ = fsys.Close()
		return
	}
	key := poolKey(loc, cred, sec)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = fsys.Close()
		return
	}
	p.idle[key] = append(p.idle[key], fsys)
}

// close closes every kept connection; later gives close theirs.
func (p *sessionPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, l := range idle {
		for _, fsys := range l {
			_ = fsys.Close()
		}
	}
}
