package main

// The sites' signing keys: clients pin the fingerprint at enrolment.

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"strings"

	"opensms/core/protocol"
)

func init() {
	register(command{Name: "key", Summary: "show a site's signing key", Verbs: []verb{
		{Name: "show", Summary: "show the fingerprint of a site's signing key (made on first use)", Setup: keyShow, Usage: "[--site S01]"},
	}})
}

// keyView is what key show --json prints.
type keyView struct {
	Site        string `json:"site"`
	Fingerprint string `json:"fingerprint"`
	PublicKey   string `json:"public_key"` // base64
}

func keyShow(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` (default: the home site)")
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		code := strings.ToUpper(strings.TrimSpace(*site))
		if code == "" {
			if code, err = st.HomeSite(ctx); err != nil {
				return mustExist("a home site (add one with 'smsctl site add')", err)
			}
		}
		if err := requireSite(ctx, st, code); err != nil {
			return err
		}
		priv, err := st.SiteKey(ctx, code)
		if err != nil {
			return fmt.Errorf("reading the key of site %s: %w", code, err)
		}
		pub := priv.Public().(ed25519.PublicKey)
		v := keyView{Site: code, Fingerprint: protocol.Fingerprint(pub), PublicKey: base64.StdEncoding.EncodeToString(pub)}
		if e.json {
			return e.printJSON(v)
		}
		fmt.Fprintln(e.stdout, v.Fingerprint)
		return nil
	}
}
