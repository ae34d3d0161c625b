package share

import (
	"errors"
	"fmt"
	"testing"
)

func TestAdvice(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("opening \\\\h\\s: %w", errors.Join(ErrAuth, ErrLogon)), AdviceLogon},
		{fmt.Errorf("writing \\\\h\\s\\x: %w", ErrAuth), ""}, // access denied to a file: not the login
		{fmt.Errorf("opening \\\\h\\s: %w", ErrUnreachable), AdviceUnreachable},
		{fmt.Errorf("h refused the login: check the user name: %w", ErrLogon), ""}, // says it already
		{errors.New("disk full"), ""},
	} {
		if got := Advice(tc.err); got != tc.want {
			t.Errorf("Advice(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
