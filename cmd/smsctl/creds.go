package main

import (
	"flag"

	"opensms/core/admin"
	"opensms/core/model"
)

// credFlags are the SMB credentials of a site share or a server.
type credFlags struct {
	user, domain string
	pw           *passwordOpt
}

func addCredFlags(fs *flag.FlagSet) *credFlags {
	c := &credFlags{pw: passwordFlags(fs)}
	fs.StringVar(&c.user, "user", "", "SMB user `U` (or give it in the URL: smb://user@host/share)")
	fs.StringVar(&c.domain, "domain", "", "SMB domain `D` of the user")
	return c
}

// request reads the password and returns the login as typed, for the
// Administrator API, which merges it with the URL's user@ and checks it.
func (c *credFlags) request(e *env) (admin.Credentials, error) {
	pw, err := c.pw.read(e)
	if err != nil {
		return admin.Credentials{}, err
	}
	return admin.Credentials{User: c.user, Domain: c.domain, Password: admin.Password(pw.Reveal())}, nil
}

// login reads the password and applies model.ShareLogin to the share URL
// given to the named flag, for the client engine.
func (c *credFlags) login(e *env, flagName, share string) (model.Credentials, error) {
	if _, err := model.ParseLocation(share); err != nil {
		return model.Credentials{}, usagef("--%s: %v", flagName, err)
	}
	pw, err := c.pw.read(e)
	if err != nil {
		return model.Credentials{}, err
	}
	_, cred, err := model.ShareLogin(share, c.user, c.domain, pw)
	return cred, err
}

// sourceLogin is a package's source login: --source-user, --source-domain
// and the password by --source-password-env or --source-password-stdin.
type sourceLogin struct {
	user, domain string
	pw           *passwordOpt
}

func addSourceLoginFlags(fs *flag.FlagSet) *sourceLogin {
	c := &sourceLogin{pw: prefixedPasswordFlags(fs, "source-")}
	fs.StringVar(&c.user, "source-user", "", "SMB user `U` for a source on a share (or smb://user@host/share/dir)")
	fs.StringVar(&c.domain, "source-domain", "", "SMB domain `D` of the source user")
	return c
}

// credentials reads the password and returns the login for the package,
// which the Administrator API merges with the source URL's user@ and
// checks by connecting.
func (c *sourceLogin) credentials(e *env) (model.Credentials, error) {
	pw, err := c.pw.read(e)
	if err != nil {
		return model.Credentials{}, err
	}
	return model.Credentials{User: c.user, Domain: c.domain, Password: pw}, nil
}
