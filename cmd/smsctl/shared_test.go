package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"opensms/core/admin"
	"opensms/core/admin/admintest"
	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/shares"
)

// TestSharedBadInputs drives the table the window's tests drive too: each
// request typed as smsctl flags is refused with the API's sentence, whole,
// exit 2 and the verb's help hint, and changes nothing.
func TestSharedBadInputs(t *testing.T) {
	c := newCLI(t)
	st, err := badgerstore.Open(c.data, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fx, err := admintest.Build(context.Background(), admin.New(st, watchdog.New(st, shares.NewOpener(), watchdog.Config{}), shares.NewOpener()), t.TempDir())
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	c.env = []string{"SMSCTL_TEST_PW=" + admintest.Password}
	before := c.snapshot()
	for _, tc := range admintest.Cases(fx) {
		t.Run(tc.Name, func(t *testing.T) {
			args, hint := sharedArgs(t, tc.Req)
			r := c.run(args...)
			want := "smsctl: " + tc.Want + "; see 'smsctl " + hint + " --help'\n"
			if r.code != 2 || r.stderr != want || r.stdout != "" {
				t.Errorf("smsctl %s:\nwant exit 2 and %q\ngot  %s", strings.Join(args, " "), want, r)
			}
		})
	}
	if after := c.snapshot(); after != before {
		t.Errorf("bad input changed the store:\nbefore: %s\nafter:  %s", before, after)
	}
}

// sharedArgs is what a user types for the request, and the verb.
func sharedArgs(t *testing.T, req any) ([]string, string) {
	cred := func(args []string, c admin.Credentials) []string {
		if c.User != "" {
			args = append(args, "--user", c.User)
		}
		if c.Domain != "" {
			args = append(args, "--domain", c.Domain)
		}
		if c.Password != "" {
			args = append(args, "--password-env", "SMSCTL_TEST_PW")
		}
		return args
	}
	if u, ok := req.(admintest.Update); ok {
		// Every field is given, as the record is to be: what smsctl keeps
		// when a flag is left out is tested apart.
		switch r := u.Req.(type) {
		case admin.SiteRequest:
			return cred([]string{"site", "update", r.Code, "--name", r.Name, "--share", r.Share, "--parent", r.Parent}, r.Credentials), "site update"
		case admin.ServerRequest:
			return cred([]string{"server", "update", "--site", r.Site, r.Name, "--url", r.URL, "--default=" + strconv.FormatBool(r.Default)}, r.Credentials), "server update"
		case admin.ComputerRequest:
			return []string{"computer", "update", r.Name, "--site", r.Site, "--platform", string(r.Platform)}, "computer update"
		case admin.GroupRequest:
			return []string{"group", "rename", r.OldName, r.Name}, "group rename"
		case model.Package:
			return []string{"package", "source", r.ID, "--source", r.Source}, "package source"
		}
	}
	switch r := req.(type) {
	case admin.SiteRequest:
		args := []string{"site", "add", "--code", r.Code, "--name", r.Name, "--share", r.Share}
		if r.Parent != "" {
			args = append(args, "--parent", r.Parent)
		}
		return cred(args, r.Credentials), "site add"
	case admin.ServerRequest:
		args := []string{"server", "add", "--site", r.Site, "--name", r.Name, "--url", r.URL}
		if r.Default {
			args = append(args, "--default")
		}
		return cred(args, r.Credentials), "server add"
	case admin.ComputerRequest:
		return []string{"computer", "add", "--site", r.Site, "--name", r.Name, "--platform", string(r.Platform)}, "computer add"
	case admin.GroupRequest:
		args := []string{"group", "add", "--name", r.Name}
		if len(r.Members) > 0 {
			args = append(args, "--computers", strings.Join(r.Members, ","))
		}
		if r.Query != "" {
			args = append(args, "--query", r.Query)
		}
		return args, "group add"
	case model.Package:
		return []string{"package", "add", "--name", r.Name, "--version", r.Version, "--source", r.Source}, "package add"
	case model.Job:
		args := []string{"job", "add", "--package", r.Package, "--target", r.Target.String()}
		if r.Run.Command != "" {
			args = append(args, "--command", r.Run.Command)
		}
		if r.Distribute.ServerGroup != "" {
			args = append(args, "--servers", "group:"+r.Distribute.ServerGroup)
		}
		return args, "job add"
	}
	t.Fatalf("no command line for a %T", req)
	return nil, ""
}
