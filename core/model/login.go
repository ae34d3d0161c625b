package model

import "strings"

// ShareLogin reads a share location as typed and the login to it, with the
// rules every front end applies: the user may be "DOMAIN\user"; when user is
// empty the location's user@ (and domain;) is taken; a password needs a
// user; a local folder takes neither. It returns the location without the
// user, and the credentials.
func ShareLogin(location, user, domain string, password Secret) (Location, Credentials, error) {
	var cred Credentials
	loc, err := ParseLocation(location)
	if err != nil {
		return loc, cred, invalidf("%v", err)
	}
	user = strings.TrimSpace(user)
	cred.Domain = strings.TrimSpace(domain)
	if user == "" {
		user = loc.User
		if cred.Domain == "" {
			cred.Domain = loc.Domain
		}
	}
	if dom, u, ok := strings.Cut(user, `\`); ok {
		cred.Domain, user = dom, u
	}
	cred.User, cred.Password = user, password
	if !cred.Password.IsZero() && cred.User == "" {
		return loc, cred, invalidf("a password needs a user: give the user name, or smb://user@host/share")
	}
	if loc.IsLocal() && (cred.User != "" || !cred.Password.IsZero()) {
		return loc, cred, invalidf("%s is a local folder, which takes no user or password", loc.UNC())
	}
	loc.User, loc.Domain = "", ""
	return loc, cred, nil
}
