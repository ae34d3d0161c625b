package main

// The watchdog without a display: one cycle, or the service until a
// signal stops it.

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"opensms/core/model"
	"opensms/core/watchdog"
	"opensms/storage/shares"
)

func init() {
	register(command{Name: "watchdog", Summary: "run the watchdog: one cycle, or as a service", Verbs: []verb{
		{Name: "run-once", Summary: "run one watchdog cycle and print what happened", Setup: watchdogRunOnce},
		{Name: "serve", Summary: "run the watchdog until SIGINT or SIGTERM, logging to standard error", Setup: watchdogServe,
			Usage: "[--interval 60s] [--concurrency 4]"},
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

func watchdogRunOnce(fs *flag.FlagSet) runFunc {
	concurrency := fs.Int("concurrency", watchdog.DefaultConcurrency, "servers one job pushes to at once")
	return func(ctx context.Context, e *env, _ []string) error {
		svc, err := newWatchdog(e, watchdog.Config{Concurrency: *concurrency})
		if err != nil {
			return err
		}
		updates, stop := svc.Subscribe(4096)
		runErr := svc.RunOnce(ctx)
		stop()
		events := []model.Event{}
		for u := range updates {
			if u.Kind == watchdog.UpdateEvent {
				events = append(events, *u.Event)
			}
		}
		if e.json {
			if err := e.printJSON(events); err != nil {
				return err
			}
		} else {
			for _, ev := range events {
				fmt.Fprintf(e.stdout, "%s  %-7s  %s\n", ev.Time.Local().Format("15:04:05"), ev.Severity, ev.Message)
			}
		}
		if runErr != nil {
			return fmt.Errorf("the cycle did not finish its work: %w", runErr)
		}
		return nil
	}
}

func watchdogServe(fs *flag.FlagSet) runFunc {
	interval := fs.Duration("interval", watchdog.DefaultInterval, "time between two cycles")
	concurrency := fs.Int("concurrency", watchdog.DefaultConcurrency, "servers one job pushes to at once")
	return func(ctx context.Context, e *env, _ []string) error {
		var h slog.Handler = slog.NewTextHandler(e.stderr, nil)
		if e.json {
			h = slog.NewJSONHandler(e.stderr, nil)
		}
		log := slog.New(h)
		svc, err := newWatchdog(e, watchdog.Config{Interval: *interval, Concurrency: *concurrency, Logger: log})
		if err != nil {
			return err
		}
		if err := svc.Start(ctx); err != nil {
			return err
		}
		log.Info("watchdog started", "interval", svc.Config().Interval.String(), "archives", svc.Config().ArchiveDir)
		<-ctx.Done()
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := svc.Stop(stopCtx); err != nil {
			return err
		}
		log.Info("watchdog stopped")
		return nil
	}
}
