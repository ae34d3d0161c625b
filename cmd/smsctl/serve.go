package main

// smsctl watchdog serve is the site service: it holds the store, runs the
// watchdog and serves the Administrator API on DATA/admin.sock (a named
// pipe on Windows) to the service's own user and root, until SIGINT or
// SIGTERM (or a Windows service stop).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"opensms/core/admin"
	"opensms/core/watchdog"
	"opensms/storage/adminapi"
	"opensms/storage/localapi"
	"opensms/storage/shares"
)

// Stopping must end within 10 s (a service manager kills after that): the
// requests in flight get stopGrace, the watchdog's cycle stopWatchdog to
// reach a point it resumes from, and the store closes after both.
const (
	stopGrace    = 3 * time.Second
	stopWatchdog = 7 * time.Second
)

// siteServicePrefix names the installed site service: opensms-site-HASH.
const siteServicePrefix = "opensms-site"

func watchdogServe(fs *flag.FlagSet) runFunc {
	interval := fs.Duration("interval", watchdog.DefaultInterval, "time between two cycles")
	concurrency := fs.Int("concurrency", watchdog.DefaultConcurrency, "servers one job pushes to at once")
	return func(ctx context.Context, e *env, _ []string) error {
		var h slog.Handler = slog.NewTextHandler(e.stderr, nil)
		if e.json {
			h = slog.NewJSONHandler(e.stderr, nil)
		}
		return serveSite(ctx, e, watchdog.Config{Interval: *interval, Concurrency: *concurrency, Logger: slog.New(h)})
	}
}

// serveSite runs the site service until ctx ends.
func serveSite(ctx context.Context, e *env, cfg watchdog.Config) error {
	log := cfg.Logger
	dir, err := e.DataDir()
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(dir); err == nil {
		var stopped func()
		ctx, stopped = asService(ctx, serviceName(siteServicePrefix, abs))
		defer stopped()
	}
	// A second service would find the store locked; say what holds it.
	if c, err := adminapi.Attach(ctx, dir, e.buildVersion()); err == nil {
		since := c.Started()
		c.Close()
		return fmt.Errorf("the site service for %s is already running (since %s)", dir, since.Local().Format("2006-01-02 15:04:05"))
	}
	st, err := e.store()
	if err != nil {
		return err
	}
	opener := shares.NewOpener()
	wd := watchdog.New(st, opener, cfg)
	if err := wd.Config().Validate(); err != nil {
		return usagef("%v", err)
	}
	addr := adminapi.Address(dir)
	l, err := localapi.Listen(addr, localapi.ListenConfig{Service: adminapi.Service})
	if err != nil {
		return err
	}
	// The watchdog runs on its own context: a signal stops the API first
	// (no new requests), then the watchdog, then the store closes.
	if err := wd.Start(context.Background()); err != nil {
		l.Close()
		return err
	}
	srv := localapi.Start(l, localapi.ServerConfig{
		Service: adminapi.Service,
		Version: e.buildVersion(),
		Handler: adminapi.Handler(admin.New(st, wd, opener)),
		Grace:   stopGrace,
	})
	defer srv.Stop()
	log.Info("site service started", "socket", addr, "interval", wd.Config().Interval.String(), "archives", wd.Config().ArchiveDir)

	select {
	case <-ctx.Done():
		log.Info("site service stopping")
	case <-srv.Done(): // the socket failed under us: stop the rest as for a signal
	}
	// The watchdog stops while the requests in flight finish: both within
	// the 10 s a service manager allows.
	stopCtx, cancel := context.WithTimeout(context.Background(), stopWatchdog)
	defer cancel()
	wdStopped := make(chan error, 1)
	go func() { wdStopped <- wd.Stop(stopCtx) }()
	serveErr := srv.Stop()
	wdErr := <-wdStopped
	// The store closes here, not after the verb: a Windows service manager
	// is told "stopped" as this returns.
	closeErr := e.close()
	if closeErr != nil {
		closeErr = fmt.Errorf("closing the store: %w", closeErr)
	}
	if err := errors.Join(serveErr, wdErr, closeErr); err != nil {
		return fmt.Errorf("stopping the site service: %w", err)
	}
	log.Info("site service stopped")
	return nil
}
