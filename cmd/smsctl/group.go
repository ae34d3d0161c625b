package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/core/query"
)

func init() {
	register(command{Name: "group", Summary: "manage machine groups", Verbs: []verb{
		{Name: "add", Summary: "add a machine group", Setup: groupAdd,
			Usage: "--name NAME [--comment TEXT] [--computers PC001,PC002 | --query EXPR]"},
		{Name: "preview", Summary: "list the computers a query matches now, storing nothing", Setup: groupPreview,
			Usage: "--query EXPR"},
		{Name: "add-member", Args: "GROUP MEMBER...", NArgs: -1, Summary: "add computers or servers to a machine group", Setup: groupAddMember},
		{Name: "rm-member", Args: "GROUP MEMBER...", NArgs: -1, Summary: "take members out of a machine group", Setup: groupRmMember},
		{Name: "list", Summary: "list machine groups", Setup: groupList},
		{Name: "show", Args: "GROUP", NArgs: 1, Summary: "show a machine group and its members", Setup: groupShow},
		{Name: "rm", Args: "GROUP", NArgs: 1, Summary: "remove a machine group that no unfinished job uses", Setup: groupRm},
	}})
}

func groupAdd(fs *flag.FlagSet) runFunc {
	name := fs.String("name", "", "group `name`")
	comment := fs.String("comment", "", "what the group is for, as `text`")
	members := fs.String("computers", "", "comma-separated `names` of computers (or servers) in the group")
	q := fs.String("query", "", "a query group: the computers whose inventory makes `EXPR` true, e.g. 'not (\"S0100012\" in installed)' (names: "+strings.Join(query.Names, ", ")+")")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "name"); err != nil {
			return err
		}
		_, err := api.AddGroup(ctx, admin.GroupRequest{Name: *name, Comment: *comment, Members: splitList(*members), Query: *q})
		return err
	})
}

// memberVerb runs add-member or rm-member (admin.API.AddMembers or
// RemoveMembers): GROUP and at least one member.
func memberVerb(change func(admin.API, context.Context, string, []string) (model.MachineGroup, error)) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		if len(args) < 2 {
			return usagef("give the group and at least one member")
		}
		_, err := change(api, ctx, args[0], args[1:])
		return err
	})
}

func groupAddMember(fs *flag.FlagSet) runFunc { return memberVerb(admin.API.AddMembers) }

func groupRmMember(fs *flag.FlagSet) runFunc { return memberVerb(admin.API.RemoveMembers) }

func groupList(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		gs, err := api.ListGroups(ctx)
		if err != nil {
			return err
		}
		return list(e, gs, []string{"NAME", "MEMBERS", "QUERY", "COMMENT"}, func(g model.MachineGroup) []string {
			return []string{g.Name, strconv.Itoa(len(g.Members)), orDash(g.Query), orDash(g.Comment)}
		})
	})
}

func groupShow(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		g, err := api.GetGroup(ctx, args[0])
		if err != nil {
			return err
		}
		fields := []field{
			{"name", g.Name},
			{"comment", orDash(g.Comment)},
		}
		if g.Query == "" {
			fields = append(fields, field{"members", orDash(strings.Join(g.Members, ", "))})
			return e.show(g, fields)
		}
		fields = append(fields, field{"query", g.Query}, field{"members", fmt.Sprintf("%d (the watchdog evaluates the query each cycle)", len(g.Members))})
		for _, m := range g.Members {
			fields = append(fields, field{"  " + m, "joined " + when(g.Joined[m])})
		}
		return e.show(g, fields)
	})
}

func groupPreview(fs *flag.FlagSet) runFunc {
	q := fs.String("query", "", "the query `EXPR`, as group add --query takes it")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "query"); err != nil {
			return err
		}
		p, err := api.PreviewGroup(ctx, *q)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(p)
		}
		fmt.Fprintf(e.stdout, "%d of %d computers match\n", len(p.Members), p.Computers)
		for _, m := range p.Members {
			fmt.Fprintln(e.stdout, m)
		}
		return nil
	})
}

func groupRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.DeleteGroup(ctx, args[0])
	})
}
