package main

import (
	"context"
	"flag"

	"opensms/core/admin"
	"opensms/core/model"
)

// package source moves a package's source folder, as Workstations… does:
// the API checks the new one (a share is connected to) before it stores it.
func init() {
	registerVerbs("package", verb{Name: "source", Args: "ID", NArgs: 1, Summary: "change where a package's files are, and the login that reads them", Setup: packageSource,
		Usage: "ID --source DIR|\\\\HOST\\SHARE\\DIR|smb://USER@HOST/SHARE/DIR [--source-user U --source-domain D --source-password-env VAR|--source-password-stdin]"})
}

// packageSource keeps the stored login for a new source on a share unless
// --source-user gives another, and drops it for a local folder, which
// takes none; the stored password stays unless a new one is given.
func packageSource(fs *flag.FlagSet) runFunc {
	source := fs.String("source", "", "new source `folder`: a local folder, \\\\host\\share\\folder or smb://[domain;]user@host[:port]/share/folder")
	login := addSourceLoginFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "source"); err != nil {
			return err
		}
		typed, err := login.credentials(e)
		if err != nil {
			return err
		}
		p, err := api.GetPackage(ctx, args[0])
		if err != nil {
			return err
		}
		p.Source = absSource(*source)
		cred := p.SourceCredentials
		if flagSet(fs, "source-user") {
			cred = model.Credentials{User: typed.User, Domain: typed.Domain, Password: cred.Password}
		} else if flagSet(fs, "source-domain") {
			cred.Domain = typed.Domain
		}
		if !typed.Password.IsZero() {
			cred.Password = typed.Password
		}
		if loc, err := model.ParseLocation(p.Source); err == nil && loc.IsLocal() && !flagSet(fs, "source-user") && typed.Password.IsZero() {
			cred = model.Credentials{} // a local folder takes no login
		}
		p.SourceCredentials = cred
		_, err = api.UpdatePackage(ctx, p)
		return err
	})
}
