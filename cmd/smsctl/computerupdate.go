package main

import (
	"context"
	"flag"

	"opensms/core/admin"
	"opensms/core/model"
)

// computer update moves a computer to another site or corrects its
// platform, as Computer Properties does; a flag not given keeps the stored
// value.
func init() {
	registerVerbs("computer", verb{Name: "update", Args: "NAME", NArgs: 1, Summary: "move a computer to another site or change its platform; what is not given stays", Setup: computerUpdate,
		Usage: "NAME [--site S02] [--platform linux/arm64]"})
}

func computerUpdate(fs *flag.FlagSet) runFunc {
	site := fs.String("site", "", "site `code` the computer moves to")
	platform := fs.String("platform", "", "the computer's `platform`, e.g. linux/amd64 or windows/arm64")
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		c, err := api.GetComputer(ctx, args[0])
		if err != nil {
			return err
		}
		r := admin.ComputerRequest{Name: c.Name, Site: c.Site, Platform: c.Platform}
		if flagSet(fs, "site") {
			r.Site = *site
		}
		if flagSet(fs, "platform") {
			p, err := onePlatform(*platform)
			if err != nil {
				return err
			}
			r.Platform = p
		}
		_, err = api.UpdateComputer(ctx, r)
		return err
	})
}

// onePlatform reads --platform for a computer, which runs one.
func onePlatform(s string) (model.Platform, error) {
	ps, err := model.ParsePlatforms(s)
	if err != nil {
		return "", err
	}
	if len(ps) != 1 {
		return "", usagef("--platform names one platform for a computer, got %q", s)
	}
	return ps[0], nil
}
