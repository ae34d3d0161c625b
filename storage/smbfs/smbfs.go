// Package smbfs implements share.FS over an SMB2/3 share.
//
// It speaks SMB with github.com/cloudsoda/go-smb2, the maintained fork of
// hirochachacha/go-smb2 (same API): it signs only when either side requires
// it, accepts the unsigned interim answers of asynchronous I/O as MS-SMB2
// says, replaces on rename, and adds Kerberos; v1.1.0 (2021) did none of it.
//
// One FS is one TCP connection, one session and one tree connect, rooted at
// the location's folder. A broken connection is not re-established: every
// later call fails with share.ErrUnreachable, and the caller opens the
// share again (share.Retry's operation does so).
//
// What go-smb2 leaves to this package:
//   - It has no chroot: names are checked with share.CleanName and joined
//     below the location's folder here.
//   - A server that stops answering without closing the connection hangs
//     a call for ever: a stall guard closes the connection when calls are
//     waiting and none has finished for Options.StallTimeout.
//   - It encrypts when the server asks but cannot be asked to, and does not
//     report whether it does: the connection is watched (see wire) to show
//     it, for share.Security's RequireEncryption.
//   - A connection the server closed comes back as a transport error
//     wrapping io.EOF; it is classed as share.ErrUnreachable without that
//     io.EOF, which a reader would take for the end of a file.
package smbfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cloudsoda/go-smb2"

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
	// Dialect pins one SMB dialect (SMB210, SMB302, SMB311). Zero offers
	// every dialect go-smb2 knows and the server picks: SMB 3.1.1 on Samba
	// and Windows, with its pre-authentication integrity, and encryption
	// where the server or the share asks for it. Measured on loopback with
	// the fork (client CPU per MB pushed): unsigned, 3.1.1 costs what 2.1
	// does (0.8 ms); where the server requires signing, 3.1.1's AES-CMAC
	// (1.6× to 2× the CPU of 2.1's HMAC-SHA256: 3.2 ms against 1.6 ms)
	// costs more than encryption with AES-GCM (1.2 ms). Pinning SMB210
	// therefore halves the client's CPU towards a server that requires
	// signing, at the price of the negotiation's integrity and of
	// encryption; a pinned dialect the server refuses is said so.
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
	wire   *wire
	// mounted is what wire had seen in and out when the tree connected.
	mounted [2]frames
	sess    *smb2.Session
	share   *smb2.Share
	guard   *stallGuard

	closeOnce sync.Once
	closeErr  error
}

var (
	_ share.FS      = (*FS)(nil)
	_ share.Mkdirer = (*FS)(nil)
)

// Open dials loc.Addr(), logs on with cred (its user and domain default to
// the location's), mounts loc.Share and checks that loc.Path exists. ctx
// bounds the connection and every later call on the FS. Errors name the
// share as UNC and wrap share.ErrUnreachable, ErrAuth or ErrNoShare.
//
// share.Security on ctx may require signing or encryption; see
// Options.Dialect for the dialect offered.
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
		return nil, fmt.Errorf("connecting to %s: no user name given (OpenSMS does not log on anonymously): %w: %w", server, share.ErrLogon, share.ErrAuth)
	}
	sec := share.SecurityFrom(ctx)
	if opt.DialTimeout <= 0 {
		opt.DialTimeout = DefaultDialTimeout
	}
	if opt.StallTimeout == 0 {
		opt.StallTimeout = DefaultStallTimeout
	}
	a := attempt{loc: loc, server: server, user: user, domain: domain, password: cred.Password, opt: opt,
		requireSigning: opt.RequireSigning || sec.RequireSigning, requireEncryption: sec.RequireEncryption}
	if a.requireEncryption && opt.Dialect != 0 && opt.Dialect < SMB302 {
		return nil, fmt.Errorf("connecting to %s: this server entry requires encryption, which SMB 2.1 does not have: pin SMB 3 or no dialect: %w", server, share.ErrSecurity)
	}
	return a.open(ctx, opt.Dialect)
}

// attempt is what one connection attempt of Open needs.
type attempt struct {
	loc                  model.Location
	server, user, domain string
	password             model.Secret
	opt                  Options
	requireSigning       bool
	requireEncryption    bool
}

// open makes the connection offering dialect (0: all).
func (a *attempt) open(ctx context.Context, dialect uint16) (f *FS, err error) {
	loc, server, opt := a.loc, a.server, a.opt
	hctx, cancel := context.WithTimeout(ctx, opt.DialTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(hctx, "tcp", loc.Addr())
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %w: %w", server, share.ErrUnreachable, err)
	}
	// Until the FS owns the connection, closing it ends a handshake that
	// ctx or the dial timeout gave up on, since go-smb2 may not notice.
	stop := context.AfterFunc(hctx, func() { conn.Close() })
	defer stop()
	w := &wire{Conn: conn}
	dialer := &smb2.Dialer{
		Negotiator: smb2.Negotiator{RequireMessageSigning: a.requireSigning, SpecifiedDialect: dialect},
		Initiator:  &smb2.NTLMInitiator{User: a.user, Domain: a.domain, Password: a.password.Reveal()},
	}
	sess, err := dialer.DialConn(hctx, w, loc.Addr())
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("logging on to %s as %s: %w", server, a.user, a.explain(ctx, dialect, "session", err))
	}
	sh, err := sess.WithContext(hctx).Mount(loc.Share)
	if err != nil {
		_ = sess.WithContext(hctx).Logoff()
		conn.Close()
		err = a.explain(ctx, dialect, "share", err)
		if errors.Is(err, share.ErrNoShare) {
			return nil, fmt.Errorf("share %s does not exist on %s: %w", loc.Share, loc.Addr(), err)
		}
		return nil, fmt.Errorf("mounting %s: %w", server, err)
	}
	in, out := w.counts()
	f = &FS{
		unc:     loc.UNC(),
		prefix:  strings.ReplaceAll(loc.Path, "/", `\`),
		ctx:     ctx,
		conn:    conn,
		wire:    w,
		mounted: [2]frames{in, out},
		sess:    sess,
		share:   sh.WithContext(ctx),
	}
	if !stop() {
		f.Close()
		return nil, fmt.Errorf("connecting to %s: %w: %w", server, share.ErrUnreachable, context.Cause(hctx))
	}
	f.guard = newStallGuard(opt.StallTimeout, func() { conn.Close() })
	// A required encryption is shown on a call after the tree connect:
	// the folder's Stat, or the share root's.
	if f.prefix != "" || a.requireEncryption {
		fi, err := f.share.Stat(f.prefix)
		if err == nil && !fi.IsDir() {
			err = fmt.Errorf("it is a file: %w", fs.ErrNotExist)
		}
		if err != nil {
			f.Close()
			err = classify(ctx, err)
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("folder %s does not exist: %w", f.unc, share.ErrNoShare)
			}
			return nil, fmt.Errorf("opening %s: %w", f.unc, err)
		}
	}
	if a.requireEncryption {
		if !f.Encrypted() {
			f.Close()
			return nil, fmt.Errorf("%s does not encrypt its traffic, and this server entry requires encryption: make the share or the server require it (Samba: smb encrypt = required; Windows: Set-SmbShare -EncryptData $true) or clear Require encryption: %w", f.unc, share.ErrSecurity)
		}
		w.seal(true)
	}
	return f, nil
}

// Encrypted reports whether every SMB message since the tree connect, both
// ways, went under the SMB 3 transform header (and at least one did).
// go-smb2 encrypts exactly when the server asks for the session or the
// share, and decides that at the tree connect, so this holds for the FS's
// life; with share.Security's RequireEncryption the FS refuses any plain
// message afterwards.
func (f *FS) Encrypted() bool {
	in, out := f.wire.counts()
	m := f.mounted
	return in.plain == m[0].plain && out.plain == m[1].plain &&
		in.encrypted > m[0].encrypted && out.encrypted > m[1].encrypted
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
// Mkdir creates one folder whose parent exists: one create request and
// its close (share.Mkdirer).
func (f *FS) Mkdir(name string) error {
	p, err := f.path(name)
	if err != nil {
		return err
	}
	if p == f.prefix {
		return f.fail("create folder", p, fs.ErrExist)
	}
	return f.fail("create folder", p, f.do(func() error { return f.share.Mkdir(p, 0o755) }))
}

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

// Rename moves oldname to newname, replacing a file there in one request
// (FileRenameInformation with ReplaceIfExists), so readers see the old
// file or the new one, never neither.
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
	return f.renameFail(o, n, f.do(func() error { return f.share.Rename(o, n) }))
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
		// A logoff is a session's message: plain where only the share is
		// encrypted.
		f.wire.seal(false)
		_ = f.sess.WithContext(ctx).Logoff()
		if err := f.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			f.closeErr = fmt.Errorf("closing %s: %w", f.unc, err)
		}
	})
	return f.closeErr
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
