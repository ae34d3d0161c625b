package main

// job rerun: offer a job again to its failed computers (or all, or one).

import (
	"context"
	"flag"
	"fmt"
	"os/user"

	"opensms/core/admin"
	"opensms/core/watchdog"
)

var rerunVerb = verb{Name: "rerun", Args: "JOB", NArgs: 1, Summary: "run a job again on its failed computers (or all, or one), under a new generation", Setup: jobRerun,
	Usage: "JOB [--failed | --all | --computer NAME]\n\n" +
		"The computers chosen are offered the job again: their PCM offers it again and a mandatory job runs again by itself.\n" +
		"A finished job becomes Active again. The default is --failed."}

func jobRerun(fs *flag.FlagSet) runFunc {
	failed := fs.Bool("failed", false, "the computers that failed (the default)")
	all := fs.Bool("all", false, "every computer that finished the job")
	computer := fs.String("computer", "", "only the computer `NAME`")
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		r := admin.RerunRequest{Job: args[0], Scope: watchdog.RerunFailed}
		chosen := 0
		for _, on := range []bool{*failed, *all, *computer != ""} {
			if on {
				chosen++
			}
		}
		if chosen > 1 {
			return usagef("give one of --failed, --all and --computer")
		}
		switch {
		case *all:
			r.Scope = watchdog.RerunAll
		case *computer != "":
			r.Scope, r.Computer = watchdog.RerunComputer, *computer
		}
		if u, err := user.Current(); err == nil {
			r.By = u.Username
		}
		res, err := api.RerunJob(ctx, r)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(res)
		}
		word := "computers"
		if res.Computers == 1 {
			word = "computer"
		}
		fmt.Fprintf(e.stdout, "job %s runs again on %d %s\n", args[0], res.Computers, word)
		return nil
	})
}
