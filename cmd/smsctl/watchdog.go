package main

// The watchdog without a display: one cycle, or the service until a
// signal stops it.

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"opensms/core/watchdog"
	"opensms/storage/shares"
)

func init() {
	register(command{Name: "watchdog", Summary: "run the watchdog: one cycle, or as a service", Verbs: []verb{
		{Name: "run-once", Summary: "run one watchdog cycle and print what happened", Setup: watchdogRunOnce},
		{Name: "serve", Summary: "run the site service: the watchdog, and the Administrator API on DATA/admin.sock for smsadmin and smsctl, until SIGINT or SIGTERM", Setup: watchdogServe,
			Usage: "[--interval 60s] [--concurrency 4]"},
		{Name: "install-service", Summary: "install the site service for --data as a system service (systemd, Windows service) and start it",
			Usage: "[--print]", Setup: installServiceVerb(siteServicePrefix, "OpenSMS site service", func() []string { return []string{"watchdog", "serve"} })},
	}})
}

// newWatchdog builds the service over the store with the real share opener.
func newWatchdog(e *env, cfg watchdog.Config) (*watchdog.Service, error) {
	st, err := e.store()
	if err != nil {
		return nil, err
	}
	svc := watchdog.New(st, shares.NewOpener(), cfg)
	if err := svc.Config().Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	return svc, nil
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
