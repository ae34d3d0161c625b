package admintest

import (
	"context"
	"fmt"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

// recordChange is one change through the API and the record the Watch
// stream must then carry; do returns the record's ID (a new package's is
// known only once it is stored). A refused change must carry nothing.
type recordChange struct {
	name    string
	do      func(ctx context.Context, api admin.API) (string, error)
	kind    watchdog.UpdateKind
	prev    string
	deleted bool
	refused bool
}

// recordChanges adds, changes and deletes one record of each kind beside
// the fixture fx, with refusals between them.
func recordChanges(fx Fixture) []recordChange {
	var pkg string
	id := func(s string) func(any, error) (string, error) {
		return func(_ any, err error) (string, error) { return s, err }
	}
	return []recordChange{
		{name: "add a site", kind: watchdog.UpdateSite, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("S02")(api.AddSite(ctx, admin.SiteRequest{Code: "s02", Name: "Branch", Parent: "S01", Share: `\\branch\SMS_SITE`}))
		}},
		{name: "add the site again", refused: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("S02")(api.AddSite(ctx, admin.SiteRequest{Code: "S02", Name: "Branch", Share: `\\branch\SMS_SITE`}))
		}},
		{name: "rename the site", kind: watchdog.UpdateSite, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("S02")(api.UpdateSite(ctx, admin.SiteRequest{Code: "S02", Name: "Branch Office", Parent: "S01", Share: `\\branch\SMS_SITE`}))
		}},
		{name: "add a server", kind: watchdog.UpdateServer, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("S02/dist2")(api.AddServer(ctx, admin.ServerRequest{Site: "S02", Name: "dist2", URL: `\\dist2\SMS_PKG`}))
		}},
		{name: "change the server", kind: watchdog.UpdateServer, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("S02/dist2")(api.UpdateServer(ctx, admin.ServerRequest{Site: "S02", Name: "dist2", URL: `\\dist2\SMS_PKG2`, Default: true}))
		}},
		{name: "add a computer", kind: watchdog.UpdateComputer, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("PC002")(api.AddComputer(ctx, admin.ComputerRequest{Name: "pc002", Site: "S02", Platform: "linux/amd64"}))
		}},
		{name: "move the computer", kind: watchdog.UpdateComputer, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("PC002")(api.UpdateComputer(ctx, admin.ComputerRequest{Name: "PC002", Site: "S01", Platform: "linux/arm64"}))
		}},
		{name: "add a group", kind: watchdog.UpdateGroup, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("Lab")(api.AddGroup(ctx, admin.GroupRequest{Name: "Lab", Members: []string{"PC002"}}))
		}},
		{name: "add an unknown member", refused: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("Lab")(api.AddMembers(ctx, "Lab", []string{"PC404"}))
		}},
		{name: "add a member", kind: watchdog.UpdateGroup, do: func(ctx context.Context, api admin.API) (string, error) {
			return id("Lab")(api.AddMembers(ctx, "Lab", []string{"PC001"}))
		}},
		{name: "rename the group", kind: watchdog.UpdateGroup, prev: "Lab", do: func(ctx context.Context, api admin.API) (string, error) {
			return id("Lab 2")(api.UpdateGroup(ctx, admin.GroupRequest{OldName: "Lab", Name: "Lab 2", Members: []string{"PC002"}}))
		}},
		{name: "add a package", kind: watchdog.UpdatePackage, do: func(ctx context.Context, api admin.API) (string, error) {
			p, err := api.AddPackage(ctx, model.Package{Name: "Watched", Version: "1", Source: fx.Source})
			pkg = p.ID
			return pkg, err
		}},
		{name: "add a command line", kind: watchdog.UpdatePackage, do: func(ctx context.Context, api admin.API) (string, error) {
			return id(pkg)(api.AddCommand(ctx, pkg, model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}}))
		}},
		{name: "add the command line again", refused: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return id(pkg)(api.AddCommand(ctx, pkg, model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}}))
		}},
		{name: "delete the package", kind: watchdog.UpdatePackage, deleted: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return pkg, api.DeletePackage(ctx, pkg)
		}},
		{name: "delete the group", kind: watchdog.UpdateGroup, deleted: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return "Lab 2", api.DeleteGroup(ctx, "Lab 2")
		}},
		{name: "delete the computer", kind: watchdog.UpdateComputer, deleted: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return "PC002", api.DeleteComputer(ctx, "PC002")
		}},
		{name: "delete the server", kind: watchdog.UpdateServer, deleted: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return "S02/dist2", api.DeleteServer(ctx, "S02", "dist2")
		}},
		{name: "delete a site that has sub-sites", refused: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return "S01", api.DeleteSite(ctx, "S01")
		}},
		{name: "delete the site", kind: watchdog.UpdateSite, deleted: true, do: func(ctx context.Context, api admin.API) (string, error) {
			return "S02", api.DeleteSite(ctx, "S02")
		}},
	}
}

// WatchRecords adds, changes and deletes a site, a server, a computer, a
// group and a package beside the fixture fx through api, and checks that
// api's Watch stream names each change, in order, and nothing for the
// changes api refuses between them. It leaves the fixture as it found it.
// ctx bounds the wait for each change.
func WatchRecords(ctx context.Context, api admin.API, fx Fixture) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := api.Watch(ctx)
	if err != nil {
		return fmt.Errorf("watching: %w", err)
	}
	for _, c := range recordChanges(fx) {
		id, err := c.do(ctx, api)
		if c.refused {
			if err == nil {
				return fmt.Errorf("%s: not refused", c.name)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		want := watchdog.Record{ID: id, Previous: c.prev, Deleted: c.deleted}
		got, err := nextRecord(ctx, ch)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		if got.Kind != c.kind || *got.Record != want {
			return fmt.Errorf("%s: the stream says %s %+v, want %s %+v", c.name, got.Kind, *got.Record, c.kind, want)
		}
	}
	return nil
}

// nextRecord skips the watchdog's own changes up to the next record.
func nextRecord(ctx context.Context, ch <-chan admin.Change) (admin.Change, error) {
	for {
		select {
		case u, ok := <-ch:
			if !ok {
				return u, fmt.Errorf("the Watch stream ended")
			}
			if u.Record != nil {
				return u, nil
			}
		case <-ctx.Done():
			return admin.Change{}, fmt.Errorf("waiting for the Watch stream: %w", ctx.Err())
		}
	}
}
