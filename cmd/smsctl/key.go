package main

// The sites' signing keys: clients pin the fingerprint at enrolment.

import (
	"context"
	"flag"
	"fmt"

	"opensms/core/admin"
)

func init() {
	register(command{Name: "key", Summary: "show a site's signing key", Verbs: []verb{
		{Name: "show", Summary: "show the fingerprint of a site's signing key (made on first use)", Setup: keyShow, Usage: "[--site S01]"},
	}})
}

func keyShow(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` (default: the home site)")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		k, err := api.SiteKey(ctx, *site)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(k)
		}
		fmt.Fprintln(e.stdout, k.Fingerprint)
		return nil
	})
}
