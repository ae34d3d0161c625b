package main

import (
	"context"
	"flag"
	"strconv"
	"strings"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "site", Summary: "add, list, show and remove sites", Verbs: []verb{
		{Name: "add", Summary: "add a site", Setup: siteAdd,
			Usage: "--code S01 --name NAME --share URL [--parent CODE] [--user U [--domain D]] [--password-env VAR | --password-stdin]"},
		{Name: "list", Summary: "list the sites", Setup: siteList},
		{Name: "show", Args: "CODE", NArgs: 1, Summary: "show a site, its servers and how many computers it has", Setup: siteShow},
		{Name: "rm", Args: "CODE", NArgs: 1, Summary: "remove a site that has no sub-sites, servers or computers left", Setup: siteRm},
	}})
}

func siteAdd(fs *flag.FlagSet) runFunc {
	code := fs.String("code", "", "site `code`, 3 letters or digits, e.g. S01")
	name := fs.String("name", "", "site `name`")
	share := fs.String("share", "", "site share `URL`: \\\\host\\share\\folder, smb://user@host/share/folder or file:///dir")
	parent := fs.String("parent", "", "parent site `CODE`")
	cf := addCredFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "code", "name", "share"); err != nil {
			return err
		}
		cred, err := cf.request(e)
		if err != nil {
			return err
		}
		_, err = api.AddSite(ctx, admin.SiteRequest{Code: *code, Name: *name, Parent: *parent, Share: *share, Credentials: cred})
		return err
	})
}

func siteList(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		sites, err := api.ListSites(ctx)
		if err != nil {
			return err
		}
		return list(e, sites, []string{"CODE", "NAME", "PARENT", "SHARE"}, func(s model.Site) []string {
			return []string{s.Code, s.Name, orDash(s.Parent), s.Share}
		})
	})
}

func siteShow(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		d, err := api.GetSite(ctx, args[0])
		if err != nil {
			return err
		}
		var names []string
		for _, sv := range d.Servers {
			if sv.Default {
				names = append(names, sv.Name+" (default)")
			} else {
				names = append(names, sv.Name)
			}
		}
		s := d.Site
		return e.show(s, []field{
			{"code", s.Code},
			{"name", s.Name},
			{"parent", orDash(s.Parent)},
			{"share", s.Share},
			{"user", orDash(s.Credentials.Login())},
			{"password", setOrNot(s.Credentials.Password)},
			{"servers", orDash(strings.Join(names, ", "))},
			{"computers", strconv.Itoa(d.Computers)},
			{"created", when(s.Created)},
		})
	})
}

func siteRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.DeleteSite(ctx, args[0])
	})
}
