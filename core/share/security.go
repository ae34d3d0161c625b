package share

import "context"

// Security is what a caller requires of an SMB connection beyond logging
// on, from a distribution server's settings. Local folders ignore it.
type Security struct {
	// RequireSigning refuses a session whose messages are not signed.
	RequireSigning bool
	// RequireEncryption refuses a connection that cannot be shown to be
	// encrypted.
	RequireEncryption bool
}

type securityKey struct{}

// WithSecurity returns a context that asks Opener.Open for s. It travels in
// the context because Open's signature is shared by every kind of share.
func WithSecurity(ctx context.Context, s Security) context.Context {
	return context.WithValue(ctx, securityKey{}, s)
}

// SecurityFrom returns what WithSecurity put in ctx, or the zero Security.
func SecurityFrom(ctx context.Context) Security {
	s, _ := ctx.Value(securityKey{}).(Security)
	return s
}
