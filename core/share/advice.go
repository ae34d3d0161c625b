package share

import (
	"errors"
	"strings"
)

// What to do about a share that refused the login or did not answer: the
// one advice every front end gives, after the sentence that names what
// failed (the SMB layer names what failed, not what a person can change).
const (
	AdviceLogon       = "check the user name and the password"
	AdviceUnreachable = "check the server's name and port and that it is on, then try again"
)

// Advice returns what to do about err: AdviceLogon for a refused login,
// AdviceUnreachable for a server that did not answer, and "" for any other
// error or one whose sentence already says what to check.
func Advice(err error) string {
	if s := err.Error(); strings.Contains(s, "; check ") || strings.Contains(s, ": check ") {
		return ""
	}
	switch {
	case errors.Is(err, ErrLogon):
		return AdviceLogon
	case errors.Is(err, ErrUnreachable):
		return AdviceUnreachable
	}
	return ""
}
