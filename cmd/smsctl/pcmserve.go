package main

// smsctl pcm serve is the client agent: it holds the client's store, polls
// the site, runs what is due and serves the PCM API on DATA/pcm.sock (a
// named pipe on Windows) to every local user, whose rights the peer's
// credentials decide, until SIGINT or SIGTERM (or a Windows service stop).

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"opensms/core/client"
	"opensms/storage/localapi"
	"opensms/storage/pcmapi"
)

// pcmServicePrefix names the installed client agent: opensms-client-HASH.
const pcmServicePrefix = "opensms-client"

// notEnrolledWait is how often an agent that is not enrolled yet looks
// whether root has enrolled it through its socket.
const notEnrolledWait = 2 * time.Second

func pcmServe(fs *flag.FlagSet) runFunc {
	interval := fs.Duration("interval", client.DefaultInterval, "time between two polls")
	p := addPcmFlags(fs, true)
	return func(ctx context.Context, e *env, _ []string) error {
		if *interval <= 0 {
			return usagef("--interval %v must be positive", *interval)
		}
		var h slog.Handler = slog.NewTextHandler(e.stderr, nil)
		if e.json {
			h = slog.NewJSONHandler(e.stderr, nil)
		}
		return serveAgent(ctx, e, p, *interval, slog.New(h))
	}
}

// serveAgent runs the client agent until ctx ends.
func serveAgent(ctx context.Context, e *env, p *pcmFlags, interval time.Duration, log *slog.Logger) error {
	dir, err := pcmDataDir(e)
	if err != nil {
		return err
	}
	if abs, err := filepath.Abs(dir); err == nil {
		var stopped func()
		ctx, stopped = asService(ctx, serviceName(pcmServicePrefix, abs))
		defer stopped()
	}
	if err := agentDataDir(dir); err != nil {
		return err
	}
	eng, closeEng, err := openEngine(e, p, log, "")
	if err != nil {
		return err
	}
	defer closeEng()
	addr := pcmapi.Address(dir)
	l, err := localapi.Listen(addr, localapi.ListenConfig{Public: true, Service: pcmapi.Service})
	if err != nil {
		return err
	}
	// The API stops first (no new requests), then the loop and the runs
	// (ctx), then the store closes.
	serveCtx, stopServing := context.WithCancel(context.Background())
	defer stopServing()
	served := make(chan error, 1)
	go func() {
		served <- localapi.Serve(serveCtx, l, localapi.ServerConfig{
			Service: pcmapi.Service,
			Version: e.buildVersion(),
			Handler: pcmapi.Handler(ctx, eng),
			Grace:   stopGrace,
		})
	}()
	log.Info("client agent started", "socket", addr, "data", dir)
	loopErr := agentLoop(ctx, eng, interval, log)
	stopServing()
	serveErr := <-served
	if err := errors.Join(loopErr, serveErr); err != nil {
		return fmt.Errorf("stopping the client agent: %w", err)
	}
	log.Info("client agent stopped")
	return nil
}

// agentLoop waits until the computer is enrolled (root enrols it through
// the socket), then runs the engine's loop until ctx ends.
func agentLoop(ctx context.Context, eng *client.Engine, interval time.Duration, log *slog.Logger) error {
	if _, ok := eng.Enrolled(); !ok {
		log.Warn("this computer is not enrolled yet; waiting for 'smsctl pcm enroll' as root")
		t := time.NewTicker(notEnrolledWait)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if _, ok := eng.Enrolled(); ok {
				break
			}
		}
	}
	return eng.Serve(ctx, interval, nil)
}

// agentDataDir makes the agent's data directory readable and searchable by
// every local user, so that they reach its socket, and writable by the
// agent's user alone; the store and the cache inside stay the agent's
// (mode 0700, made so by the store and the engine).
func agentDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating the client data directory %s: %w", dir, err)
	}
	if runtime.GOOS == "windows" {
		return nil // ProgramData's inherited ACL lets users read, not write
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return fmt.Errorf("letting local users reach the agent's socket in %s: %w", dir, err)
	}
	return nil
}

// pcmInstallService installs the agent for --data, or for the machine-wide
// directory when --data is not given (never the Administrator's default).
func pcmInstallService(fs *flag.FlagSet) runFunc {
	// The agent's installers must leave files other users can use (a
	// program in /usr/local/bin that only root may run installs nothing);
	// its store and cache are made 0700 whatever the mask.
	umask := func(s *serviceSpec) { s.UMask = "0022" }
	install := installServiceVerb(pcmServicePrefix, "OpenSMS client agent", func() []string { return []string{"pcm", "serve"} }, umask)(fs)
	return func(ctx context.Context, e *env, args []string) error {
		e.dataDir = pcmAgentDir(e)
		return install(ctx, e, args)
	}
}
