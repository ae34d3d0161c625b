// Package share declares what OpenSMS needs of a file share (an SMB share or
// a local folder) and builds the share protocol's safe operations on top of
// it: atomic, resumable writes and reads that never see a partial file.
// storage implements FS and Opener; core never imports go-smb2.
package share

import (
	"context"
	"errors"
	"io"
	"io/fs"

	"opensms/core/model"
)

// File is an open file on a share.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.ReaderAt
	io.Closer
	Stat() (fs.FileInfo, error)
	Truncate(size int64) error
}

// FS is one connected share, rooted at the Location's folder. Names are
// '/'-separated and relative to that root. Errors wrap fs.ErrNotExist,
// fs.ErrExist and the sentinel errors below so callers can classify them.
type FS interface {
	Stat(name string) (fs.FileInfo, error)
	Open(name string) (File, error)
	// OpenFile opens with os.O_* flags (O_RDWR, O_CREATE, O_TRUNC, O_EXCL, O_APPEND).
	OpenFile(name string, flag int) (File, error)
	ReadDir(name string) ([]fs.FileInfo, error)
	MkdirAll(name string) error
	// Rename replaces newname if it exists.
	Rename(oldname, newname string) error
	Remove(name string) error
	RemoveAll(name string) error
	// Close ends the session; the FS is unusable afterwards.
	Close() error
}

// Opener connects to a share. The context bounds the connection and, for
// SMB, every later operation on the returned FS.
type Opener interface {
	Open(ctx context.Context, loc model.Location, cred model.Credentials) (FS, error)
}

// Sentinel errors that implementations wrap so that core can tell what
// needs the administrator (permanent) from what a retry may fix.
var (
	// ErrAuth: wrong user or password, or access denied. Permanent.
	ErrAuth = errors.New("access denied")
	// ErrLogon: the login itself was refused (user, password, domain or
	// the account's state); it comes with ErrAuth. Only this one warrants
	// "check the user and password". Permanent.
	ErrLogon = errors.New("login refused")
	// ErrSecurity: the server's and the caller's requirements for signing,
	// encryption or the SMB dialect do not meet; the error's text says
	// which side requires what. Permanent.
	ErrSecurity = errors.New("security settings do not match")
	// ErrNoShare: the share or its folder does not exist. Permanent.
	ErrNoShare = errors.New("no such share")
	// ErrUnreachable: the server did not answer. Transient.
	ErrUnreachable = errors.New("server unreachable")
	// ErrFull: the share has no space left. Permanent until someone frees space.
	ErrFull = errors.New("share is full")
)

// IsPermanent reports whether err needs the administrator rather than a retry.
func IsPermanent(err error) bool {
	return errors.Is(err, ErrAuth) || errors.Is(err, ErrSecurity) || errors.Is(err, ErrNoShare) || errors.Is(err, ErrFull)
}
