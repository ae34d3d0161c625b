package main

import (
	"context"
	"flag"
	"fmt"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "server", Summary: "add, list, test and remove distribution servers", Verbs: []verb{
		{Name: "add", Summary: "add a distribution server to a site", Setup: serverAdd,
			Usage: "--site S01 --name NAME --url URL [--user U [--domain D]] [--password-env VAR | --password-stdin] [--default]"},
		{Name: "list", Summary: "list distribution servers", Setup: serverList, Usage: "[--site S01]"},
		{Name: "test", Args: "NAME", NArgs: 1, Summary: "connect to a distribution server's share, list it and write a test file there", Setup: serverTest, Usage: "--site S01 NAME"},
		{Name: "rm", Args: "NAME", NArgs: 1, Summary: "remove a distribution server that no unfinished job uses", Setup: serverRm, Usage: "--site S01 NAME"},
	}})
}

func serverAdd(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	name := fs.String("name", "", "server `name`, unique in its site")
	url := fs.String("url", "", "share `URL`: \\\\host\\share\\folder, smb://user@host:port/share/folder or file:///dir")
	def := fs.Bool("default", false, "make it one of the site's Default Servers")
	signing := fs.Bool("require-signing", false, "refuse to talk to the server without SMB signing")
	encryption := fs.Bool("require-encryption", false, "refuse to talk to the server without SMB3 encryption")
	cf := addCredFlags(fs)
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "site", "name", "url"); err != nil {
			return err
		}
		cred, err := cf.request(e)
		if err != nil {
			return err
		}
		_, err = api.AddServer(ctx, admin.ServerRequest{Site: *site, Name: *name, URL: *url, Credentials: cred,
			Default: *def, RequireSigning: *signing, RequireEncryption: *encryption})
		return err
	})
}

func serverList(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "only the servers of site `code`")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		servers, err := api.ListServers(ctx, *site)
		if err != nil {
			return err
		}
		return list(e, servers, []string{"SITE", "NAME", "URL", "DEFAULT", "USER"}, func(s model.Server) []string {
			return []string{s.Site, s.Name, s.URL, yesNo(s.Default), orDash(s.Credentials.Login())}
		})
	})
}

// serverTest tests a stored server with its stored login.
func serverTest(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "site"); err != nil {
			return err
		}
		s, err := findServer(ctx, api, *site, args[0])
		if err != nil {
			return err
		}
		msg, err := api.TestServer(ctx, admin.ServerRequest{Site: s.Site, Name: s.Name, URL: s.URL,
			Credentials:    admin.Credentials{User: s.Credentials.User, Domain: s.Credentials.Domain, KeepPassword: true},
			RequireSigning: s.RequireSigning, RequireEncryption: s.RequireEncryption})
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(map[string]string{"result": msg})
		}
		fmt.Fprintln(e.stdout, msg)
		return nil
	})
}

func serverRm(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if err := requireFlags(fs, "site"); err != nil {
			return err
		}
		return api.DeleteServer(ctx, *site, args[0])
	})
}
