package main

// The watchdog without a display: one cycle, its state, or the site service
// (serve.go) until a signal stops it.

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/core/watchdog"
)

func init() {
	register(command{Name: "watchdog", Summary: "run the watchdog: one cycle, or as a service", Verbs: []verb{
		{Name: "run-once", Summary: "run one watchdog cycle and print what happened", Setup: watchdogRunOnce},
		{Name: "status", Summary: "say whether the watchdog runs, when its next cycle is due and what it is pushing", Setup: watchdogStatus},
		{Name: "serve", Summary: "run the site service: the watchdog, and the Administrator API on DATA/admin.sock for smsadmin and smsctl, until SIGINT or SIGTERM", Setup: watchdogServe,
			Usage: "[--interval 60s] [--concurrency 4]"},
		{Name: "install-service", Summary: "install the site service for --data as a system service (systemd, Windows service) and start it",
			Usage: "[--print]", Setup: installServiceVerb(siteServicePrefix, "OpenSMS site service", func() []string { return []string{"watchdog", "serve"} })},
	}})
}

// watchdogRunOnce runs one cycle: in the site service when one answers
// (it runs after the service's cycle in progress, and its lines come back),
// else in this process.
func watchdogRunOnce(fs *flag.FlagSet) runFunc {
	concurrency := fs.Int("concurrency", watchdog.DefaultConcurrency, "servers one job pushes to at once (in this process; the site service uses its own)")
	return func(ctx context.Context, e *env, _ []string) error {
		api, err := e.apiWith(ctx, watchdog.Config{Concurrency: *concurrency})
		if err != nil {
			return err
		}
		res, err := api.RunCycle(ctx)
		if err != nil {
			return err
		}
		if e.json {
			if err := e.printJSON(res.Events); err != nil {
				return err
			}
		} else {
			for _, ev := range res.Events {
				fmt.Fprintf(e.stdout, "%s  %-7s  %s\n", ev.Time.Local().Format("15:04:05"), ev.Severity, ev.Message)
			}
		}
		if res.Err != "" {
			return errors.New(res.Err)
		}
		return nil
	}
}

func watchdogStatus(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		w, err := api.Watchdog(ctx)
		if err != nil {
			return err
		}
		fields := []field{{"running", yesNo(w.Running)}, {"next cycle", when(w.NextCycle)}}
		for _, t := range w.Transfers {
			fields = append(fields, field{"pushing " + t.Job + " to " + t.Server, model.FormatBytes(t.BytesDone) + " of " + model.FormatBytes(t.BytesTotal)})
		}
		return e.show(w, fields)
	})
}
