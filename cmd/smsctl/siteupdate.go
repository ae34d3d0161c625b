package main

import (
	"context"
	"flag"

	"opensms/core/admin"
	"opensms/core/model"
)

// site update changes what the Site Properties dialog changes; a flag not
// given keeps the stored value. (This file's name sorts after site.go's,
// whose init registers the noun.)
func init() {
	registerVerbs("site", verb{Name: "update", Args: "CODE", NArgs: 1, Summary: "change a site's name, parent, share or login; what is not given stays", Setup: siteUpdate,
		Usage: "CODE [--name NAME] [--parent CODE|''] [--share URL] [--user U [--domain D]] [--password-env VAR | --password-stdin]"})
}

func siteUpdate(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "new site `name`")
	share := fs.String("share", "", "new site share `URL`: \\\\host\\share\\folder, smb://user@host/share/folder or file:///dir")
	parent := fs.String("parent", "", "new parent site `CODE`; '' makes it a root site")
	cf := addCredFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		d, err := api.GetSite(ctx, args[0])
		if err != nil {
			return err
		}
		s := d.Site
		r := admin.SiteRequest{Code: s.Code, Name: s.Name, Parent: s.Parent, Share: s.Share}
		if flagSet(fs, "name") {
			r.Name = *name
		}
		if flagSet(fs, "share") {
			r.Share = *share
		}
		if flagSet(fs, "parent") {
			r.Parent = *parent
		}
		if r.Credentials, err = cf.update(e, fs, s.Credentials); err != nil {
			return err
		}
		_, err = api.UpdateSite(ctx, r)
		return err
	})
}

// update is the login of an update: the stored one with what the flags
// give; the stored password stays unless a new one is given (the API never
// sends it back).
func (c *credFlags) update(e *env, fs *flag.FlagSet, stored model.Credentials) (admin.Credentials, error) {
	pw, err := c.pw.read(e)
	if err != nil {
		return admin.Credentials{}, err
	}
	r := admin.Credentials{User: stored.User, Domain: stored.Domain, KeepPassword: true}
	if flagSet(fs, "user") {
		r.User, r.Domain = c.user, ""
	}
	if flagSet(fs, "domain") {
		r.Domain = c.domain
	}
	if !pw.IsZero() {
		r.Password, r.KeepPassword = admin.Password(pw.Reveal()), false
	}
	return r, nil
}
