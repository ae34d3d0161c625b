package main

import (
	"context"
	"flag"

	"opensms/core/admin"
)

// group rename renames a machine group as its dialog does. A group that a
// job which has not finished names keeps its name: the API refuses, naming
// the jobs.
func init() {
	registerVerbs("group", verb{Name: "rename", Args: "GROUP NEW-NAME", NArgs: 2, Summary: "rename a machine group that no unfinished job names; its members and query stay", Setup: groupRename, Usage: "GROUP NEW-NAME"})
}

func groupRename(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		g, err := api.GetGroup(ctx, args[0])
		if err != nil {
			return err
		}
		r := admin.GroupRequest{OldName: g.Name, Name: args[1], Comment: g.Comment, Query: g.Query}
		if g.Query == "" {
			r.Members = g.Members // a query group's members are the query's to find
		}
		_, err = api.UpdateGroup(ctx, r)
		return err
	})
}
