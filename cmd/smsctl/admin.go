package main

// The administrator's objects: sites, distribution servers, computers,
// machine groups and packages. Every verb that writes checks all of its
// input (flags, the model's validation, what the store already holds)
// before its one store write, so bad input changes nothing.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

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
	register(command{Name: "server", Summary: "add, list and remove distribution servers", Verbs: []verb{
		{Name: "add", Summary: "add a distribution server to a site", Setup: serverAdd,
			Usage: "--site S01 --name NAME --url URL [--user U [--domain D]] [--password-env VAR | --password-stdin] [--default]"},
		{Name: "list", Summary: "list distribution servers", Setup: serverList, Usage: "[--site S01]"},
		{Name: "rm", Args: "NAME", NArgs: 1, Summary: "remove a distribution server", Setup: serverRm, Usage: "--site S01 NAME"},
	}})
	register(command{Name: "computer", Summary: "add, list and remove client computers", Verbs: []verb{
		{Name: "add", Summary: "add a client computer to a site", Setup: computerAdd,
			Usage: "--site S01 --name PC001 --platform linux/amd64"},
		{Name: "list", Summary: "list client computers", Setup: computerList, Usage: "[--site S01]"},
		{Name: "rm", Args: "NAME", NArgs: 1, Summary: "remove a client computer", Setup: computerRm},
	}})
	register(command{Name: "group", Summary: "manage machine groups", Verbs: []verb{
		{Name: "add", Summary: "add a machine group", Setup: groupAdd,
			Usage: "--name NAME [--comment TEXT] [--computers PC001,PC002]"},
		{Name: "add-member", Args: "GROUP MEMBER...", NArgs: -1, Summary: "add computers or servers to a machine group", Setup: groupAddMember},
		{Name: "rm-member", Args: "GROUP MEMBER...", NArgs: -1, Summary: "take members out of a machine group", Setup: groupRmMember},
		{Name: "list", Summary: "list machine groups", Setup: groupList},
		{Name: "show", Args: "GROUP", NArgs: 1, Summary: "show a machine group and its members", Setup: groupShow},
		{Name: "rm", Args: "GROUP", NArgs: 1, Summary: "remove a machine group", Setup: groupRm},
	}})
	register(command{Name: "package", Summary: "manage packages and their command lines", Verbs: []verb{
		{Name: "add", Summary: "add a package and print its new ID", Setup: packageAdd,
			Usage: "--name NAME --version V --source DIR [--comment TEXT] [--command-name NAME --command CMD --platform P,P|any [--automated] ...]"},
		{Name: "command add", Args: "ID", NArgs: 1, Summary: "add a command line to a package", Setup: packageCommandAdd,
			Usage: "ID --command-name NAME --command CMD --platform P,P|any [--automated] [--background] [--success-codes 0,1] [--timeout 30m]"},
		{Name: "command rm", Args: "ID NAME", NArgs: 2, Summary: "remove a command line from a package", Setup: packageCommandRm},
		{Name: "import", Args: "FILE", NArgs: 1, Summary: "import a Package Definition File (.pdf, .sms) and print the new ID", Setup: packageImport,
			Usage: "FILE --source DIR [--platform P,P|any | --drop-unmapped]"},
		{Name: "list", Summary: "list packages", Setup: packageList},
		{Name: "show", Args: "ID", NArgs: 1, Summary: "show a package and its command lines", Setup: packageShow},
		{Name: "rm", Args: "ID", NArgs: 1, Summary: "remove a package", Setup: packageRm},
	}})
}

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

// credentials merges the flags with the user and domain of the location.
func (c *credFlags) credentials(e *env, loc model.Location) (model.Credentials, error) {
	cred := model.Credentials{User: loc.User, Domain: loc.Domain}
	if c.user != "" {
		cred.User = c.user
	}
	if c.domain != "" {
		cred.Domain = c.domain
	}
	pw, err := c.pw.read(e)
	if err != nil {
		return cred, err
	}
	if !pw.IsZero() && cred.User == "" {
		return cred, usagef("a password needs a user: give --user or smb://user@host/share")
	}
	if loc.IsLocal() && (cred.User != "" || !pw.IsZero()) {
		return cred, usagef("%s is a local folder, which takes no user or password", loc)
	}
	cred.Password = pw
	return cred, nil
}

// location parses a share URL given to the named flag.
func location(flagName, s string) (model.Location, error) {
	loc, err := model.ParseLocation(s)
	if err != nil {
		return loc, usagef("--%s: %v", flagName, err)
	}
	return loc, nil
}

// mustNotExist turns a successful lookup into "already exists" and
// not-found into nil.
func mustNotExist(what string, err error) error {
	switch {
	case err == nil:
		return usagef("%s already exists", what)
	case errors.Is(err, model.ErrNotFound):
		return nil
	}
	return err
}

// failed says what was being done when the store failed, but leaves alone
// the store's own sentences about the input ("site S09 not found", "site
// S01 still has 2 computer(s): …"), which already say it.
func failed(doing string, err error) error {
	if err == nil || isBadInput(err) {
		return err
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// mustExist turns not-found into a sentence naming what is missing, for
// records a command refers to (the parent of a new site, …).
// requireSite refuses, as bad input, a site code the store does not know.
func requireSite(ctx context.Context, st model.Store, code string) error {
	return mustExist("site "+code, getErr(st.GetSite(ctx, code)))
}

func mustExist(what string, err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return usagef("%s does not exist", what)
	}
	return err
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func setOrNot(s model.Secret) string {
	if s.IsZero() {
		return "not set"
	}
	return "set"
}

func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ---- sites

func siteAdd(fs *flag.FlagSet) runFunc {
	code := fs.String("code", "", "site `code`, 3 letters or digits, e.g. S01")
	name := fs.String("name", "", "site `name`")
	share := fs.String("share", "", "site share `URL`: \\\\host\\share\\folder, smb://user@host/share/folder or file:///dir")
	parent := fs.String("parent", "", "parent site `CODE`")
	cf := addCredFlags(fs)
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "code", "name", "share"); err != nil {
			return err
		}
		loc, err := location("share", *share)
		if err != nil {
			return err
		}
		cred, err := cf.credentials(e, loc)
		if err != nil {
			return err
		}
		loc.User, loc.Domain = "", ""
		s := model.Site{Code: *code, Name: *name, Parent: *parent, Share: loc.String(), Credentials: cred, Created: time.Now().UTC()}
		if err := s.Validate(); err != nil {
			return err
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		if err := mustNotExist(fmt.Sprintf("site %s", s.Code), getErr(st.GetSite(ctx, s.Code))); err != nil {
			return err
		}
		if s.Parent != "" {
			if err := mustExist(fmt.Sprintf("parent site %s", s.Parent), getErr(st.GetSite(ctx, s.Parent))); err != nil {
				return err
			}
		}
		if err := st.PutSite(ctx, s); err != nil {
			return fmt.Errorf("adding site %s: %w", s.Code, err)
		}
		return nil
	}
}

// getErr keeps only the error of a lookup.
func getErr[T any](_ T, err error) error { return err }

func siteList(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		sites, err := st.ListSites(ctx)
		if err != nil {
			return fmt.Errorf("listing sites: %w", err)
		}
		rows := make([][]string, 0, len(sites))
		for _, s := range sites {
			rows = append(rows, []string{s.Code, s.Name, orDash(s.Parent), s.Share})
		}
		return e.table(nonNil(sites), []string{"CODE", "NAME", "PARENT", "SHARE"}, rows)
	}
}

// nonNil makes an empty list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func siteShow(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		s, err := st.GetSite(ctx, args[0])
		if err != nil {
			return failed("reading site "+args[0], err)
		}
		servers, err := st.ListServers(ctx, s.Code)
		if err != nil {
			return fmt.Errorf("listing the servers of site %s: %w", s.Code, err)
		}
		n, err := st.CountComputers(ctx, s.Code)
		if err != nil {
			return fmt.Errorf("counting the computers of site %s: %w", s.Code, err)
		}
		var names []string
		for _, sv := range servers {
			if sv.Default {
				names = append(names, sv.Name+" (default)")
			} else {
				names = append(names, sv.Name)
			}
		}
		return e.show(s, []field{
			{"code", s.Code},
			{"name", s.Name},
			{"parent", orDash(s.Parent)},
			{"share", s.Share},
			{"user", orDash(userName(s.Credentials))},
			{"password", setOrNot(s.Credentials.Password)},
			{"servers", orDash(strings.Join(names, ", "))},
			{"computers", strconv.Itoa(n)},
			{"created", when(s.Created)},
		})
	}
}

func userName(c model.Credentials) string {
	if c.Domain != "" && c.User != "" {
		return c.Domain + `\` + c.User
	}
	return c.User
}

func siteRm(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		// The store refuses a site that still has sub-sites, servers or
		// computers, with a sentence that says so.
		return failed("removing site "+args[0], st.DeleteSite(ctx, args[0]))
	}
}

// ---- distribution servers

func serverAdd(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	name := fs.String("name", "", "server `name`, unique in its site")
	url := fs.String("url", "", "share `URL`: \\\\host\\share\\folder, smb://user@host:port/share/folder or file:///dir")
	def := fs.Bool("default", false, "make it one of the site's Default Servers")
	signing := fs.Bool("require-signing", false, "refuse to talk to the server without SMB signing")
	encryption := fs.Bool("require-encryption", false, "refuse to talk to the server without SMB3 encryption")
	cf := addCredFlags(fs)
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "site", "name", "url"); err != nil {
			return err
		}
		loc, err := location("url", *url)
		if err != nil {
			return err
		}
		cred, err := cf.credentials(e, loc)
		if err != nil {
			return err
		}
		loc.User, loc.Domain = "", ""
		s := model.Server{Site: *site, Name: *name, URL: loc.String(), Credentials: cred,
			Default: *def, RequireSigning: *signing, RequireEncryption: *encryption}
		if err := s.Validate(); err != nil {
			return err
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		if err := requireSite(ctx, st, s.Site); err != nil {
			return err
		}
		if err := mustNotExist(fmt.Sprintf("server %s in site %s", s.Name, s.Site), getErr(st.GetServer(ctx, s.Site, s.Name))); err != nil {
			return err
		}
		if err := st.PutServer(ctx, s); err != nil {
			return fmt.Errorf("adding server %s to site %s: %w", s.Name, s.Site, err)
		}
		return nil
	}
}

func serverList(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "only the servers of site `code`")
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		if *site != "" {
			if err := requireSite(ctx, st, *site); err != nil {
				return err
			}
		}
		servers, err := st.ListServers(ctx, *site)
		if err != nil {
			return fmt.Errorf("listing servers: %w", err)
		}
		rows := make([][]string, 0, len(servers))
		for _, s := range servers {
			rows = append(rows, []string{s.Site, s.Name, s.URL, yesNo(s.Default), orDash(userName(s.Credentials))})
		}
		return e.table(nonNil(servers), []string{"SITE", "NAME", "URL", "DEFAULT", "USER"}, rows)
	}
}

func serverRm(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the server belongs to")
	return func(ctx context.Context, e *env, args []string) error {
		if err := requireFlags(fs, "site"); err != nil {
			return err
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		return failed(fmt.Sprintf("removing server %s of site %s", args[0], *site), st.DeleteServer(ctx, *site, args[0]))
	}
}

// ---- computers

func computerAdd(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the computer belongs to")
	name := fs.String("name", "", "computer `name`, e.g. PC001")
	platform := fs.String("platform", "", "the computer's `platform`, e.g. linux/amd64 or windows/arm64")
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "site", "name", "platform"); err != nil {
			return err
		}
		ps, err := model.ParsePlatforms(*platform)
		if err != nil {
			return err
		}
		if len(ps) != 1 {
			return usagef("--platform names one platform for a computer, got %q", *platform)
		}
		c := model.Computer{Name: model.NormalizeComputerName(*name), Site: *site, Platform: ps[0]}
		if err := c.Validate(); err != nil {
			return err
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		if err := requireSite(ctx, st, c.Site); err != nil {
			return err
		}
		if err := mustNotExist("computer "+c.Name, getErr(st.GetComputer(ctx, c.Name))); err != nil {
			return err
		}
		if err := st.PutComputers(ctx, c); err != nil {
			return fmt.Errorf("adding computer %s: %w", c.Name, err)
		}
		return nil
	}
}

func computerList(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "only the computers of site `code`")
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		if *site != "" {
			if err := requireSite(ctx, st, *site); err != nil {
				return err
			}
		}
		cs, err := st.ListComputers(ctx, *site)
		if err != nil {
			return fmt.Errorf("listing computers: %w", err)
		}
		rows := make([][]string, 0, len(cs))
		for _, c := range cs {
			rows = append(rows, []string{c.Name, c.Site, string(c.Platform), when(c.LastSeen)})
		}
		return e.table(nonNil(cs), []string{"NAME", "SITE", "PLATFORM", "LAST SEEN"}, rows)
	}
}

func computerRm(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		return failed("removing computer "+args[0], st.DeleteComputer(ctx, args[0]))
	}
}

// ---- machine groups

// memberNames checks that each name is a computer or a distribution server
// (a group of servers serves a job's Distribute phase) and returns the
// names as stored: computer names are upper case.
func memberNames(ctx context.Context, st model.Store, names []string) ([]string, error) {
	servers, err := st.ListServers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		if slices.ContainsFunc(servers, func(s model.Server) bool { return s.Name == n }) {
			out = append(out, n)
			continue
		}
		c, err := st.GetComputer(ctx, model.NormalizeComputerName(n))
		switch {
		case errors.Is(err, model.ErrNotFound):
			return nil, usagef("%s is neither a computer nor a distribution server", n)
		case err != nil:
			return nil, fmt.Errorf("looking up computer %s: %w", n, err)
		}
		out = append(out, c.Name)
	}
	return out, nil
}

func groupAdd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "group `name`")
	comment := fs.String("comment", "", "what the group is for, as `text`")
	members := fs.String("computers", "", "comma-separated `names` of computers (or servers) in the group")
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "name"); err != nil {
			return err
		}
		g := model.MachineGroup{Name: *name, Comment: *comment, Members: nonNil(splitList(*members))}
		if err := g.Validate(); err != nil {
			return err
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		if err := mustNotExist("group "+g.Name, getErr(st.GetGroup(ctx, g.Name))); err != nil {
			return err
		}
		if g.Members, err = memberNames(ctx, st, g.Members); err != nil {
			return err
		}
		if err := st.PutGroup(ctx, g); err != nil {
			return fmt.Errorf("adding group %s: %w", g.Name, err)
		}
		return nil
	}
}

// changeMembers loads a group, lets edit change its members and stores it.
func changeMembers(fs *flag.FlagSet, edit func(ctx context.Context, st model.Store, g *model.MachineGroup, names []string) error) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		if len(args) < 2 {
			return usagef("give the group and at least one member")
		}
		st, err := e.store()
		if err != nil {
			return err
		}
		g, err := st.GetGroup(ctx, args[0])
		if err != nil {
			return failed("reading group "+args[0], err)
		}
		if err := edit(ctx, st, &g, args[1:]); err != nil {
			return err
		}
		if err := g.Validate(); err != nil {
			return err
		}
		return failed("changing group "+g.Name, st.PutGroup(ctx, g))
	}
}

func groupAddMember(fs *flag.FlagSet) runFunc {
	return changeMembers(fs, func(ctx context.Context, st model.Store, g *model.MachineGroup, names []string) error {
		names, err := memberNames(ctx, st, names)
		if err != nil {
			return err
		}
		for _, n := range names {
			if !slices.Contains(g.Members, n) {
				g.Members = append(g.Members, n)
			}
		}
		return nil
	})
}

func groupRmMember(fs *flag.FlagSet) runFunc {
	return changeMembers(fs, func(ctx context.Context, st model.Store, g *model.MachineGroup, names []string) error {
		for _, n := range names {
			i := slices.IndexFunc(g.Members, func(m string) bool { return strings.EqualFold(m, n) })
			if i < 0 {
				return usagef("%s is not a member of group %s", n, g.Name)
			}
			g.Members = slices.Delete(g.Members, i, i+1)
		}
		g.Members = nonNil(g.Members)
		return nil
	})
}

func groupList(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		gs, err := st.ListGroups(ctx)
		if err != nil {
			return fmt.Errorf("listing groups: %w", err)
		}
		rows := make([][]string, 0, len(gs))
		for _, g := range gs {
			rows = append(rows, []string{g.Name, strconv.Itoa(len(g.Members)), orDash(g.Comment)})
		}
		return e.table(nonNil(gs), []string{"NAME", "MEMBERS", "COMMENT"}, rows)
	}
}

func groupShow(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		g, err := st.GetGroup(ctx, args[0])
		if err != nil {
			return failed("reading group "+args[0], err)
		}
		return e.show(g, []field{
			{"name", g.Name},
			{"comment", orDash(g.Comment)},
			{"members", orDash(strings.Join(g.Members, ", "))},
		})
	}
}

func groupRm(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		return failed("removing group "+args[0], st.DeleteGroup(ctx, args[0]))
	}
}

// ---- packages

// cmdLineFlags are one command line's flags, shared by package add and
// package command add.
type cmdLineFlags struct {
	fs                    *flag.FlagSet
	name, command, plats  string
	automated, background bool
	codes                 string
	timeout               time.Duration
}

func addCmdLineFlags(fs *flag.FlagSet) *cmdLineFlags {
	c := &cmdLineFlags{fs: fs}
	fs.StringVar(&c.name, "command-name", "", "command line `name`, shown on the client, e.g. Install")
	fs.StringVar(&c.command, "command", "", "the command `line` to run from the package root, e.g. \"sh install.sh\"")
	fs.StringVar(&c.plats, "platform", "", "comma-separated `platforms` it runs on, e.g. linux/amd64,linux/arm64, or any")
	fs.BoolVar(&c.automated, "automated", false, "needs no user input, so it may run unattended")
	fs.BoolVar(&c.background, "background", false, "system background task: may run with nobody logged on")
	fs.StringVar(&c.codes, "success-codes", "", "comma-separated exit `codes` that mean success (default 0)")
	fs.DurationVar(&c.timeout, "timeout", 0, "stop the command after this `duration`, e.g. 30m (default none)")
	return c
}

// given reports whether any command-line flag was used.
func (c *cmdLineFlags) given() bool {
	for _, n := range []string{"command-name", "command", "platform", "automated", "background", "success-codes", "timeout"} {
		if flagSet(c.fs, n) {
			return true
		}
	}
	return false
}

func (c *cmdLineFlags) build() (model.CommandLine, error) {
	if err := requireFlags(c.fs, "command-name", "command", "platform"); err != nil {
		return model.CommandLine{}, err
	}
	ps, anyPlatform, err := model.ParseCommandPlatforms(c.plats)
	if err != nil {
		return model.CommandLine{}, err
	}
	cl := model.CommandLine{Name: c.name, Command: c.command, Platforms: ps, AnyPlatform: anyPlatform,
		Automated: c.automated, Background: c.background, Timeout: c.timeout}
	if c.timeout < 0 {
		return cl, usagef("--timeout %s is negative", c.timeout)
	}
	if flagSet(c.fs, "success-codes") {
		cl.SuccessCodes = []int{}
		for _, s := range strings.Split(c.codes, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				return cl, usagef("--success-codes %q: %q is not a whole number", c.codes, s)
			}
			cl.SuccessCodes = append(cl.SuccessCodes, n)
		}
	}
	cl.ApplyDefaults()
	return cl, nil
}

// packageSource checks --source: a UNC or smb:// location is parsed, a
// local folder must exist and is made absolute.
func packageSource(s string) (string, error) {
	if strings.HasPrefix(s, `\\`) || strings.HasPrefix(s, "//") || strings.HasPrefix(strings.ToLower(s), "smb://") {
		loc, err := location("source", s)
		if err != nil {
			return "", err
		}
		return loc.UNC(), nil
	}
	if strings.HasPrefix(strings.ToLower(s), "file://") {
		loc, err := location("source", s)
		if err != nil {
			return "", err
		}
		s = filepath.FromSlash(loc.Path)
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return "", usagef("--source %q: %v", s, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", usagef("source folder %s does not exist", abs)
	case err != nil:
		return "", fmt.Errorf("looking at source folder %s: %w", abs, err)
	case !fi.IsDir():
		return "", usagef("source %s is a file, not a folder", abs)
	}
	return abs, nil
}

func packageAdd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "package `name`")
	version := fs.String("version", "", "package `version`")
	source := fs.String("source", "", "source `folder`: a local folder or \\\\host\\share\\folder")
	comment := fs.String("comment", "", "a comment, as `text`")
	publisher := fs.String("publisher", "", "`name` of who made the software")
	shareName := fs.String("share-name", "", "`share` name for Share Package On Server jobs")
	cl := addCmdLineFlags(fs)
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "name", "version", "source"); err != nil {
			return err
		}
		src, err := packageSource(*source)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		p := model.Package{Name: *name, Version: *version, Publisher: *publisher, Comment: *comment,
			Source: src, Sharing: model.Sharing{ShareName: *shareName}, Commands: []model.CommandLine{}, Created: now, Updated: now}
		if cl.given() {
			c, err := cl.build()
			if err != nil {
				return err
			}
			p.Commands = append(p.Commands, c)
		}
		return createPackage(ctx, e, p)
	}
}

// createPackage validates p, stores it and prints its new ID (or, with
// --json, the whole package).
func createPackage(ctx context.Context, e *env, p model.Package) error {
	if err := p.Validate(); err != nil {
		return err
	}
	st, err := e.store()
	if err != nil {
		return err
	}
	sites, err := st.ListSites(ctx)
	if err != nil {
		return fmt.Errorf("listing sites: %w", err)
	}
	if len(sites) == 0 {
		return usagef("there is no site yet, and package IDs begin with the site code: add one with 'smsctl site add'")
	}
	created, err := st.CreatePackage(ctx, p)
	if err != nil {
		return fmt.Errorf("adding package %s: %w", p.Name, err)
	}
	if e.json {
		return e.printJSON(created)
	}
	fmt.Fprintln(e.stdout, created.ID)
	return nil
}

// changePackage loads a package, lets edit change it, and stores it.
func changePackage(ctx context.Context, e *env, id string, edit func(p *model.Package) error) error {
	st, err := e.store()
	if err != nil {
		return err
	}
	p, err := st.GetPackage(ctx, id)
	if err != nil {
		return failed("reading package "+id, err)
	}
	if err := edit(&p); err != nil {
		return err
	}
	p.Updated = time.Now().UTC()
	if err := p.Validate(); err != nil {
		return err
	}
	return failed("changing package "+id, st.UpdatePackage(ctx, p))
}

func packageCommandAdd(fs *flag.FlagSet) runFunc {
	cl := addCmdLineFlags(fs)
	return func(ctx context.Context, e *env, args []string) error {
		c, err := cl.build()
		if err != nil {
			return err
		}
		return changePackage(ctx, e, args[0], func(p *model.Package) error {
			if _, ok := p.Command(c.Name); ok {
				return usagef("package %s already has a command line named %q", p.ID, c.Name)
			}
			p.Commands = append(p.Commands, c)
			return nil
		})
	}
}

func packageCommandRm(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		return changePackage(ctx, e, args[0], func(p *model.Package) error {
			i := slices.IndexFunc(p.Commands, func(c model.CommandLine) bool { return c.Name == args[1] })
			if i < 0 {
				return usagef("package %s has no command line named %q", p.ID, args[1])
			}
			p.Commands = slices.Delete(p.Commands, i, i+1)
			return nil
		})
	}
}

func packageList(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, _ []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		ps, err := st.ListPackages(ctx)
		if err != nil {
			return fmt.Errorf("listing packages: %w", err)
		}
		rows := make([][]string, 0, len(ps))
		for _, p := range ps {
			rows = append(rows, []string{p.ID, p.Name, p.Version, strconv.Itoa(len(p.Commands)), p.Source})
		}
		return e.table(nonNil(ps), []string{"ID", "NAME", "VERSION", "COMMANDS", "SOURCE"}, rows)
	}
}

func packageShow(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		p, err := st.GetPackage(ctx, args[0])
		if err != nil {
			return failed("reading package "+args[0], err)
		}
		fields := []field{
			{"id", p.ID},
			{"name", p.Name},
			{"version", p.Version},
			{"publisher", orDash(p.Publisher)},
			{"comment", orDash(p.Comment)},
			{"source", p.Source},
			{"share name", orDash(p.Sharing.ShareName)},
			{"created", when(p.Created)},
		}
		for _, c := range p.Commands {
			var flags []string
			if c.Automated {
				flags = append(flags, "automated")
			}
			if c.Background {
				flags = append(flags, "background")
			}
			desc := fmt.Sprintf("%s  [%s]  success %s", c.Command, c.PlatformText(), ints(c.SuccessCodes))
			if len(flags) > 0 {
				desc += "  " + strings.Join(flags, ", ")
			}
			if c.Timeout > 0 {
				desc += "  timeout " + c.Timeout.String()
			}
			fields = append(fields, field{"command " + strconv.Quote(c.Name), desc})
		}
		return e.show(p, fields)
	}
}

func ints(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func packageRm(fs *flag.FlagSet) runFunc {
	return func(ctx context.Context, e *env, args []string) error {
		st, err := e.store()
		if err != nil {
			return err
		}
		// The store refuses a package that a job still names.
		return failed("removing package "+args[0], st.DeletePackage(ctx, args[0]))
	}
}
