// Package smbfs implements share.FS over an SMB2/3 share with go-smb2.
//
// One FS is one TCP connection, one session and one tree connect, rooted at
// the location's folder. A broken connection is not re-established: every
// later call fails with share.ErrUnreachable, and the caller opens the
// share again (share.Retry's operation does so).
//
// go-smb2 v1.1.0 quirks handled here:
//   - Rename never replaces (it sends ReplaceIfExists = 0): Rename moves an
//     existing target aside, renames, then removes it.
//   - It has no chroot: names are checked with share.CleanName and joined
//     below the location's folder here.
//   - A server that stops answering without closing the connection hangs
//     a call for ever: a stall guard closes the connection when calls are
//     waiting and none has finished for Options.StallTimeout.
//   - Its context errors do not unwrap; they are translated here.
//   - With Negotiator.RequireMessageSigning it refuses the unsigned interim
//     (STATUS_PENDING) answers that servers send, as MS-SMB2 says they must,
//     for slow or asynchronous operations; Samba does so for every write
//     with asynchronous I/O on. Requiring signing therefore works only with
//     servers that do not answer that way (Samba: "aio read size = 0" and
//     "aio write size = 0"); the error says so. Forks fix it (CloudSoda's
//     go-smb2 #48).
//   - It signs every request of a logged-on session whether or not either
//     side requires it, which costs throughput (CloudSoda's go-smb2 #62),
//     and signs SMB 3 with AES-CMAC in pure Go: hence SMB 2.1 by default,
//     see Options.Dialect.
package smbfs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hirochachacha/go-smb2"

	"opensms/core/model"
	"opensms/core/share"
)

// Options tune the connection. The zero value uses the defaults.
type Options struct {
	// DialTimeout bounds connecting, negotiating, logging on and mounting;
	// default DefaultDialTimeout.
	DialTimeout time.Duration
	// StallTimeout closes the connection when calls are waiting and none
	// has finished for this long; default DefaultStallTimeout, negative
	// turns the guard off.
	StallTimeout time.Duration
	// RequireSigning refuses a server that will not sign; share.WithSecurity
	// on Open's context asks for it too.
	RequireSigning bool
	// Dialect pins one SMB dialect (SMB210, SMB302, SMB311) for this
	// server, with no second try. Zero follows the policy:
	//
	//   - Offer SMB 2.1 only, by default. go-smb2 signs every request of
	//     a logged-on session whatever either side requires; on SMB 2.1
	//     that is HMAC-SHA256, which runs in SHA-NI assembly, while SMB 3's
	//     AES-CMAC is pure Go and took over half the client's CPU, halving
	//     throughput on loopback and making 2 cores the bound of a
	//     4-server fan-out. SMB 2.1 still signs every message; the trade is
	//     SMB 3.1.1's pre-auth integrity (a man in the middle could alter
	//     the negotiation, not a signed message) and encryption on the
	//     wire. OpenSMS's integrity does not rest on SMB: instructions are
	//     Ed25519-signed and archives are checked against the signed
	//     SHA-256 before anything is unpacked; packages are not secret
	//     from whoever may read the share.
	//   - Offer every dialect go-smb2 knows (the server picks: SMB 3.1.1
	//     on Samba and Windows) on a second connection when the server
	//     turns SMB 2.1 away in a way SMB 3 may pass: the negotiation is
	//     refused (a minimum protocol above 2.1), or the session setup or
	//     tree connect answers STATUS_ACCESS_DENIED, which MS-SMB2
	//     3.3.5.5 and 3.3.5.7 prescribe when the server or the share
	//     requires encryption. A refused password (STATUS_LOGON_FAILURE and
	//     its kin) is never tried again: it would count twice towards the
	//     account's lockout.
	//   - Offer every dialect from the start when RequireSigning or
	//     share.WithSecurity asks for signing: whoever asks for it wants
	//     the stronger protocol, speed second.
	Dialect uint16
}

// SMB dialects for Options.Dialect.
const (
	SMB210 uint16 = 0x0210
	SMB302 uint16 = 0x0302
	SMB311 uint16 = 0x0311
)

// Defaults of Options.
const (
	DefaultDialTimeout  = 5 * time.Second
	DefaultStallTimeout = 60 * time.Second
	logoffTimeout       = 2 * time.Second
)

// Opener opens "smb" locations with its Options.
type Opener struct{ Options }

// Open connects to loc with cred; see the package Open.
func (o Opener) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	return Open(ctx, loc, cred, o.Options)
}

// FS is one mounted SMB share. Its methods are safe for concurrent use.
type FS struct {
	unc    string // \\host[:port]\share[\folder], for messages
	prefix string // the folder inside the share, '\'-separated, or ""
	ctx    context.Context
	conn   net.Conn
	sess   *smb2.Session
	share  *smb2.Share
	guard  *stallGuard

	closeOnce sync.Once
	closeErr  error
}

var _ share.FS = (*FS)(nil)

// Open dials loc.Addr(), logs on with cred (its user and domain default to
// the location's), mounts loc.Share and checks that loc.Path exists. ctx
// bounds the connection and every later call on the FS. Errors name the
// share as UNC and wrap share.ErrUnreachable, ErrAuth or ErrNoShare.
//
// Unless opt.Dialect pins one, it offers SMB 2.1 first and SMB 3 when
// the server turns 2.1 away or share.Security asks; see Options.Dialect.
func Open(ctx context.Context, loc model.Location, cred model.Credentials, opt Options) (*FS, error) {
	if loc.Scheme != "smb" {
		return nil, fmt.Errorf("smbfs: %s is not an SMB location", loc)
	}
	server := model.Location{Scheme: "smb", Host: loc.Host, Port: loc.Port, Share: loc.Share}.UNC()
	user, domain := cred.User, cred.Domain
	if user == "" {
		user, domain = loc.User, loc.Domain
	} else if domain == "" && strings.EqualFold(user, loc.User) {
		domain = loc.Domain
	}
	if user == "" {
		return nil, fmt.Errorf("connecting to %s: no user name given (go-smb2 cannot log on anonymously): %w", server, share.ErrAuth)
	}
	sec := share.SecurityFrom(ctx)
	if sec.RequireEncryption {
		return nil, fmt.Errorf("connecting to %s: encryption is required, but go-smb2 cannot show that a session is encrypted; make the server require it (Samba: smb encrypt = required) and clear the setting here: %w", server, share.ErrAuth)
	}
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = DefaultDialTimeout
	}
	if opt.StallTimeout == 0 {
		opt.StallTimeout = DefaultStallTimeout
	}
	a := attempt{loc: loc, server: server, user: user, domain: domain, password: cred.Password, opt: opt,
		requireSigning: opt.RequireSigning || sec.RequireSigning}
	plan := dialectPlan(opt, sec)
	for i, d := range plan {
		f, smb3Helps, err := a.open(ctx, d)
		if err == nil || !smb3Helps || i == len(plan)-1 {
			return f, err
		}
	}
	panic("unreachable: the dialect plan is never empty")
}

// dialectPlan lists the dialects Open tries, in order, 0 offering them
// all: the policy documented at Options.Dialect.
func dialectPlan(opt Options, sec share.Security) []uint16 {
	switch {
	case opt.Dialect != 0:
		return []uint16{opt.Dialect}
	case opt.RequireSigning || sec.RequireSigning:
		return []uint16{0}
	}
	return []uint16{SMB210, 0}
}

// attempt is what one connection attempt of Open needs.
type attempt struct {
	loc                  model.Location
	server, user, domain string
	password             model.Secret
	opt                  Options
	requireSigning       bool
}

// open makes one connection offering dialect (0: all). smb3Helps reports a
// refusal that offering SMB 3 may get past (see Policy); it is never true
// after a refused password.
func (a *attempt) open(ctx context.Context, dialect uint16) (f *FS, smb3Helps bool, err error) {
	loc, server, opt := a.loc, a.server, a.opt
	hctx, cancel := context.WithTimeout(ctx, opt.DialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(hctx, "tcp", loc.Addr())
	if err != nil {
		return nil, false, fmt.Errorf("connecting to %s: %w: %w", server, share.ErrUnreachable, err)
	}
	// Until the FS owns the connection, closing it ends a handshake that
	// ctx or the dial timeout gave up on, since go-smb2 may not notice.
	stop := context.AfterFunc(hctx, func() { conn.Close() })
	defer stop()
	dialer := &smb2.Dialer{
		Negotiator: smb2.Negotiator{RequireMessageSigning: a.requireSigning, SpecifiedDialect: dialect},
		Initiator:  &smb2.NTLMInitiator{User: a.user, Domain: a.domain, Password: a.password.Reveal()},
	}
	sess, err := dialer.DialContext(hctx, conn)
	if err != nil {
		conn.Close()
		helps := dialect == SMB210 && (hasStatus(err, statusNotSupported) || accessDenied(err))
		return nil, helps, fmt.Errorf("logging on to %s as %s: %w", server, a.user, classify(ctx, err))
	}
	sh, err := sess.WithContext(hctx).Mount(loc.Share)
	if err != nil {
		_ = sess.WithContext(hctx).Logoff()
		conn.Close()
		helps := dialect == SMB210 && accessDenied(err)
		err = classify(ctx, err)
		if errors.Is(err, share.ErrNoShare) {
			return nil, false, fmt.Errorf("share %s does not exist on %s: %w", loc.Share, loc.Addr(), err)
		}
		return nil, helps, fmt.Errorf("mounting %s: %w", server, err)
	}
	f = &FS{
		unc:    loc.UNC(),
		prefix: strings.ReplaceAll(loc.Path, "/", `\`),
		ctx:    ctx,
		conn:   conn,
		sess:   sess,
		share:  sh.WithContext(ctx),
	}
	if !stop() {
		f.Close()
		return nil, false, fmt.Errorf("connecting to %s: %w: %w", server, share.ErrUnreachable, context.Cause(hctx))
	}
	f.guard = newStallGuard(opt.StallTimeout, func() { conn.Close() })
	if f.prefix != "" {
		fi, err := f.share.Stat(f.prefix)
		if err == nil && !fi.IsDir() {
			err = fmt.Errorf("it is a file: %w", fs.ErrNotExist)
		}
		if err != nil {
			f.Close()
			err = classify(ctx, err)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, false, fmt.Errorf("folder %s does not exist: %w", f.unc, share.ErrNoShare)
			}
			return nil, false, fmt.Errorf("opening %s: %w", f.unc, err)
		}
	}
	return f, false, nil
}

// accessDenied reports whether the server answered STATUS_ACCESS_DENIED,
// which go-smb2 turns into os.ErrPermission (as it does CANNOT_DELETE, which
// no session setup or tree connect answers). A refused password comes as
// STATUS_LOGON_FAILURE and is not this.
func accessDenied(err error) bool {
	return errors.Is(err, fs.ErrPermission) || hasStatus(err, statusAccessDenied)
}

// hasStatus reports whether err is the server's answer with NTSTATUS code.
func hasStatus(err error, code uint32) bool {
	var re *smb2.ResponseError
	return errors.As(err, &re) && re.Code == code
}

// UNC is the share and folder the FS is rooted at, \\host[:port]\share\folder.
func (f *FS) UNC() string { return f.unc }

// path checks name and returns it as go-smb2 wants it, below the prefix.
func (f *FS) path(name string) (string, error) {
	n, err := share.CleanName(name)
	if err != nil {
		return "", err
	}
	if n == "." {
		return f.prefix, nil
	}
	p := strings.ReplaceAll(n, "/", `\`)
	if f.prefix != "" {
		p = f.prefix + `\` + p
	}
	return p, nil
}

// display is p as the user sees it: \\host\share\folder\name.
func (f *FS) display(p string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(p, f.prefix), `\`)
	if rel == "" {
		return f.unc
	}
	return f.unc + `\` + rel
}

// fail describes a failed operation on p with the server in it.
func (f *FS) fail(op, p string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s %s: %w", op, f.display(p), classify(f.ctx, err))
}

// do runs one call under the stall guard.
func (f *FS) do(fn func() error) error {
	f.guard.enter()
	defer f.guard.exit()
	return fn()
}

// Stat describes name.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	var fi fs.FileInfo
	err = f.do(func() (err error) { fi, err = f.share.Stat(p); return })
	return fi, f.fail("stat", p, err)
}

// Open opens name for reading.
func (f *FS) Open(name string) (share.File, error) { return f.OpenFile(name, os.O_RDONLY) }

// OpenFile opens name with os.O_* flags.
func (f *FS) OpenFile(name string, flag int) (share.File, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	var sf *smb2.File
	err = f.do(func() (err error) { sf, err = f.share.OpenFile(p, flag, 0o644); return })
	if err != nil {
		return nil, f.fail("open", p, err)
	}
	return &file{f: sf, fs: f, p: p}, nil
}

// ReadDir lists the folder name.
func (f *FS) ReadDir(name string) ([]fs.FileInfo, error) {
	p, err := f.path(name)
	if err != nil {
		return nil, err
	}
	var list []fs.FileInfo
	err = f.do(func() (err error) { list, err = f.share.ReadDir(p); return })
	return list, f.fail("list", p, err)
}

// MkdirAll creates name and its parents.
func (f *FS) MkdirAll(name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if p == f.prefix {
		return nil
	}
	return f.fail("create folder", p, f.do(func() error { return f.share.MkdirAll(p, 0o755) }))
}

// Rename moves oldname to newname, replacing a file there. go-smb2 cannot
// ask the server to replace, so an existing newname is first renamed to a
// temporary name, which is removed once oldname is in place (or renamed
// back if it cannot be). For that instant newname does not exist; readers
// treat a missing file as "not yet" and look again.
func (f *FS) Rename(oldname, newname string) error {
	o, err := f.path(oldname)
	if err != nil {
		return err
	}
	n, err := f.path(newname)
	if err != nil {
		return err
	}
	if o == f.prefix || n == f.prefix {
		return &fs.PathError{Op: "rename", Path: f.unc, Err: fmt.Errorf("the share's root cannot be renamed: %w", fs.ErrInvalid)}
	}
	rename := func(from, to string) error {
		return f.do(func() error { return f.share.Rename(from, to) })
	}
	err = rename(o, n)
	if err == nil || !errors.Is(err, fs.ErrExist) {
		return f.renameFail(o, n, err)
	}
	if fi, serr := f.Stat(newname); serr == nil && fi.IsDir() {
		return f.renameFail(o, n, err)
	}
	// The ".old" keeps PutAtomic from taking it for an attempt to resume.
	aside := n + ".old" + ".tmp-" + token()
	if err := rename(n, aside); err != nil {
		return f.renameFail(o, n, err)
	}
	if err := rename(o, n); err != nil {
		if rerr := rename(aside, n); rerr != nil {
			return fmt.Errorf("%w; the previous %s is left at %s: %w", f.renameFail(o, n, err), f.display(n), f.display(aside), classify(f.ctx, rerr))
		}
		return f.renameFail(o, n, err)
	}
	// Best effort: a leftover is a temporary file that readers ignore.
	_ = f.do(func() error { return f.share.Remove(aside) })
	return nil
}

func (f *FS) renameFail(o, n string, err error) error {
	if err == nil {
		return nil
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	return fmt.Errorf("rename %s to %s: %w", f.display(o), f.display(n), classify(f.ctx, err))
}

// Remove removes a file or an empty folder.
func (f *FS) Remove(name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if p == f.prefix {
		return &fs.PathError{Op: "remove", Path: f.unc, Err: fmt.Errorf("the share's root cannot be removed: %w", fs.ErrInvalid)}
	}
	return f.fail("remove", p, f.do(func() error { return f.share.Remove(p) }))
}

// RemoveAll removes name and everything below it; a missing name is fine.
func (f *FS) RemoveAll(name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if p == f.prefix {
		return &fs.PathError{Op: "remove", Path: f.unc, Err: fmt.Errorf("the share's root cannot be removed: %w", fs.ErrInvalid)}
	}
	err = f.do(func() error { return f.share.RemoveAll(p) })
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return f.fail("remove", p, err)
}

// Close unmounts, logs off and closes the connection. A dead server costs
// at most a couple of seconds.
func (f *FS) Close() error {
	f.closeOnce.Do(func() {
		f.guard.stop()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(f.ctx), logoffTimeout)
		defer cancel()
		_ = f.share.WithContext(ctx).Umount()
		_ = f.sess.WithContext(ctx).Logoff()
		if err := f.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			f.closeErr = fmt.Errorf("closing %s: %w", f.unc, err)
		}
	})
	return f.closeErr
}

func token() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// file is an open file on the share; it maps errors and guards stalls.
type file struct {
	f  *smb2.File
	fs *FS
	p  string
}

var (
	_ share.File  = (*file)(nil)
	_ io.WriterAt = (*file)(nil)
)

func (f *file) fail(op string, err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return f.fs.fail(op, f.p, err)
}

func (f *file) Read(b []byte) (n int, err error) {
	err = f.fs.do(func() error { n, err = f.f.Read(b); return err })
	return n, f.fail("read", err)
}

func (f *file) ReadAt(b []byte, off int64) (n int, err error) {
	err = f.fs.do(func() error { n, err = f.f.ReadAt(b, off); return err })
	return n, f.fail("read", err)
}

func (f *file) Write(b []byte) (n int, err error) {
	err = f.fs.do(func() error { n, err = f.f.Write(b); return err })
	return n, f.fail("write", err)
}

func (f *file) WriteAt(b []byte, off int64) (n int, err error) {
	err = f.fs.do(func() error { n, err = f.f.WriteAt(b, off); return err })
	return n, f.fail("write", err)
}

// Seek needs no round trip except for io.SeekEnd.
func (f *file) Seek(off int64, whence int) (n int64, err error) {
	err = f.fs.do(func() error { n, err = f.f.Seek(off, whence); return err })
	return n, f.fail("seek", err)
}

func (f *file) Stat() (fi fs.FileInfo, err error) {
	err = f.fs.do(func() error { fi, err = f.f.Stat(); return err })
	return fi, f.fail("stat", err)
}

func (f *file) Truncate(size int64) error {
	return f.fail("truncate", f.fs.do(func() error { return f.f.Truncate(size) }))
}

func (f *file) Close() error {
	return f.fail("close", f.fs.do(f.f.Close))
}
