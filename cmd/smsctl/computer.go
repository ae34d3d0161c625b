package main

import (
	"context"
	"flag"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "computer", Summary: "add, list and remove client computers", Verbs: []verb{
		{Name: "add", Summary: "add a client computer to a site", Setup: computerAdd,
			Usage: "--site S01 --name PC001 --platform linux/amd64"},
		{Name: "list", Summary: "list client computers", Setup: computerList, Usage: "[--site S01]"},
		{Name: "show", Args: "NAME", NArgs: 1, Summary: "show a computer and its inventory (--json: all of it)", Setup: computerShow},
		{Name: "rm", Args: "NAME", NArgs: 1, Summary: "remove a client computer", Setup: computerRm},
		{Name: "approve", Args: "NAME", NArgs: 1, Summary: "let a computer that joined by itself receive offers", Setup: computerApprove},
	}})
}

func computerAdd(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the computer belongs to")
	name := fs.String("name", "", "computer `name`, e.g. PC001")
	platform := fs.String("platform", "", "the computer's `platform`, e.g. linux/amd64 or windows/arm64")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "site", "name", "platform"); err != nil {
			return err
		}
		p, err := onePlatform(*platform)
		if err != nil {
			return err
		}
		_, err = api.AddComputer(ctx, admin.ComputerRequest{Name: *name, Site: *site, Platform: p})
		return err
	})
}

func computerList(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "only the computers of site `code`")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		cs, err := api.ListComputers(ctx, *site)
		if err != nil {
			return err
		}
		return list(e, cs, []string{"NAME", "SITE", "PLATFORM", "LAST SEEN"}, func(c model.Computer) []string {
			seen := when(c.LastSeen)
			if c.AwaitingApproval {
				seen += " (awaiting approval)"
			}
			return []string{c.Name, c.Site, string(c.Platform), seen}
		})
	})
}

func computerRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.DeleteComputer(ctx, args[0])
	})
}

func computerApprove(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		_, err := api.ApproveComputer(ctx, args[0])
		return err
	})
}
