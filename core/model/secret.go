package model

import (
	"encoding/json"
	"fmt"
)

// Secret holds a password or key. It never prints itself: every fmt verb and
// JSON encoding show a mask, so a Secret that slips into a log line, an event
// or an error text leaks nothing. Reveal returns the value for the code that
// really needs it (the SMB dialer, the store's encrypted secret keys).
type Secret struct {
	v string
	// masked: a secret that is set but was read as its mask (from a site
	// service's answer). It says "set" and reveals nothing.
	masked bool
}

// NewSecret wraps s.
func NewSecret(s string) Secret { return Secret{v: s} }

// Reveal returns the plaintext.
func (s Secret) Reveal() string { return s.v }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return s.v == "" && !s.masked }

const secretMask = "********"

func (s Secret) mask() string {
	if s.IsZero() {
		return ""
	}
	return secretMask
}

// String returns a mask.
func (s Secret) String() string { return s.mask() }

// GoString returns a mask.
func (s Secret) GoString() string { return fmt.Sprintf("model.Secret(%q)", s.mask()) }

// Format masks the value for every verb.
func (s Secret) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.mask()) }

// MarshalJSON writes a mask, never the value; storage keeps secrets apart.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.mask()) }

// UnmarshalJSON refuses to read a mask back as a password: a masked value
// decodes to a Secret that is set (IsZero is false, it prints as a mask)
// but reveals "", so an answer read from the site service says "set" as
// the store's own record does, and never becomes a password.
func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Secret{v: v}
	if v == secretMask {
		*s = Secret{masked: true}
	}
	return nil
}
