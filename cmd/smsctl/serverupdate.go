package main

import (
	"context"
	"flag"
	"strings"

	"opensms/core/admin"
	"opensms/core/model"
)

// server update changes what the Distribution Server Properties dialog
// changes; a flag not given keeps the stored value.
func init() {
	registerVerbs("server", verb{Name: "update", Args: "NAME", NArgs: 1, Summary: "change a distribution server's share, login or Default Servers flag; what is not given stays", Setup: serverUpdate,
		Usage: "--site S01 NAME [--url URL] [--default=true|false] [--require-signing=true|false] [--require-encryption=true|false] [--user U [--domain D]] [--password-env VAR | --password-stdin]"})
}

func serverUpdate(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	url := fs.String("url", "", "new share `URL`: \\\\host\\share\\folder, smb://user@host:port/share/folder or file:///dir")
	def := fs.Bool("default", false, "whether it is one of the site's Default Servers")
	signing := fs.Bool("require-signing", false, "whether to refuse to talk to the server without SMB signing")
	encryption := fs.Bool("require-encryption", false, "whether to refuse to talk to the server without SMB3 encryption")
	cf := addCredFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "site"); err != nil {
			return err
		}
		s, err := findServer(ctx, api, *site, args[0])
		if err != nil {
			return err
		}
		r := admin.ServerRequest{Site: s.Site, Name: s.Name, URL: s.URL, Default: s.Default, RequireSigning: s.RequireSigning, RequireEncryption: s.RequireEncryption}
		if r.Credentials, err = cf.update(e, fs, s.Credentials); err != nil {
			return err
		}
		if flagSet(fs, "url") {
			r.URL = *url
		}
		if flagSet(fs, "default") {
			r.Default = *def
		}
		if flagSet(fs, "require-signing") {
			r.RequireSigning = *signing
		}
		if flagSet(fs, "require-encryption") {
			r.RequireEncryption = *encryption
		}
		_, err = api.UpdateServer(ctx, r)
		return err
	})
}

// findServer returns the stored server name (any case) of site.
func findServer(ctx context.Context, api admin.API, site, name string) (model.Server, error) {
	servers, err := api.ListServers(ctx, site)
	if err != nil {
		return model.Server{}, err
	}
	for _, s := range servers {
		if strings.EqualFold(s.Name, name) {
			return s, nil
		}
	}
	return model.Server{}, usagef("server %s of site %s not found", name, strings.ToUpper(site))
}
