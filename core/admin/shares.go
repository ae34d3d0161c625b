package admin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"opensms/core/model"
	"opensms/core/share"
)

// withAdvice is err's sentence with what to do about a share that refused
// or did not answer (share.Advice).
func withAdvice(err error) string {
	if a := share.Advice(err); a != "" {
		return err.Error() + "; " + a
	}
	return err.Error()
}

// TestTimeout bounds Test connection: a server that does not answer in this
// time is reported as unreachable.
const TestTimeout = 15 * time.Second

// testShare connects to the share, lists it and writes and removes a small
// file. It returns one sentence on success; on failure an error whose
// sentence says what failed and what to check. It never says the password.
func testShare(ctx context.Context, opener share.Opener, loc model.Location, cred model.Credentials) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, TestTimeout)
	defer cancel()
	where := loc.UNC()
	as := ""
	if cred.User != "" {
		as = " as " + cred.User
	}
	fsys, err := opener.Open(ctx, loc, cred)
	if err != nil {
		return "", explainShare(loc, as, err)
	}
	defer fsys.Close()
	entries, err := fsys.ReadDir(".")
	if err != nil {
		return "", explainShare(loc, as, err)
	}
	probe := fmt.Sprintf(".opensms-test-%d", time.Now().UnixNano())
	f, err := fsys.OpenFile(probe, os.O_RDWR|os.O_CREATE|os.O_EXCL)
	if err != nil {
		return "", &Error{Kind: KindUnavailable, Sentence: fmt.Sprintf("connected to %s%s and read it (%d entries), but cannot write there: %v", where, as, len(entries), err)}
	}
	_, werr := f.Write([]byte("opensms"))
	f.Close()
	rerr := fsys.Remove(probe)
	if werr != nil || rerr != nil {
		return "", &Error{Kind: KindUnavailable, Sentence: fmt.Sprintf("connected to %s%s, but writing a test file failed: %v", where, as, errors.Join(werr, rerr))}
	}
	return fmt.Sprintf("Connected to %s%s: the share holds %d entries and can be written to.", where, as, len(entries)), nil
}

// explainShare says in one sentence why a share could not be opened or
// read, and what to check.
func explainShare(loc model.Location, as string, err error) error {
	where := loc.UNC()
	var s string
	switch {
	case loc.IsLocal() && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, share.ErrNoShare)):
		s = fmt.Sprintf("the folder %s does not exist", where)
	case errors.Is(err, context.DeadlineExceeded):
		s = fmt.Sprintf("%s did not answer within %s", where, TestTimeout)
	case errors.Is(err, share.ErrLogon) && as == "":
		s = fmt.Sprintf("%s needs a user name: OpenSMS cannot log on to SMB shares anonymously", where)
	case errors.Is(err, share.ErrLogon):
		s = fmt.Sprintf("%s refused the login%s: %s (%v)", where, as, share.AdviceLogon, rootCause(err))
	case errors.Is(err, share.ErrNoShare), errors.Is(err, fs.ErrNotExist):
		s = fmt.Sprintf("the server answered, but the share or folder %s does not exist", where)
	case errors.Is(err, share.ErrUnreachable):
		s = fmt.Sprintf("nothing answers at %s: the server is off, the port is wrong or a firewall is in the way (%v)", loc.Addr(), rootCause(err))
	default:
		s = fmt.Sprintf("connecting to %s%s failed: %v", where, as, err)
	}
	return &Error{Kind: KindUnavailable, Sentence: s}
}

// rootCause is the innermost error: the wrapping layers repeat the location
// the sentence already names.
func rootCause(err error) error {
	for {
		var next error
		switch e := err.(type) {
		case interface{ Unwrap() error }:
			next = e.Unwrap()
		case interface{ Unwrap() []error }:
			if es := e.Unwrap(); len(es) > 0 {
				next = es[len(es)-1] // the cause follows the sentinel
			}
		}
		if next == nil {
			return err
		}
		err = next
	}
}
