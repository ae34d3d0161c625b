package main

// The sites' signing keys: clients pin the fingerprint at enrolment.

import (
	"context"
	"encoding/base64"
	"flag"
	"fmt"
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
		api, err := e.api(ctx)
		if err != nil {
			return err
		}
		k, err := api.SiteKey(ctx, *site)
		if err != nil {
			return err
		}
		v := keyView{Site: k.Site, Fingerprint: k.Fingerprint, PublicKey: base64.StdEncoding.EncodeToString(k.PublicKey)}
		if e.json {
			return e.printJSON(v)
		}
		fmt.Fprintln(e.stdout, v.Fingerprint)
		return nil
	}
}
