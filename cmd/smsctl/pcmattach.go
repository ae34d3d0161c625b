package main

// Attach or embed, for the pcm verbs: when the client agent answers on
// DATA/pcm.sock (--data, else the machine-wide directory) the verbs use
// it, and what runs runs with the agent's rights; when none answers they
// run the engine in this process over a store of their own, as before
// there was an agent. Output, --json, exit codes and sentences are the
// same either way: pcmapi.Client has the engine's methods, and its errors
// wrap the engine's.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"runtime"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/localapi"
	"opensms/storage/pcmapi"
)

// pcmEngine is what the pcm verbs use of an engine: *client.Engine in this
// process, or *pcmapi.Client attached to the agent.
type pcmEngine interface {
	Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error)
	Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trustFingerprint string) (client.Enrollment, error)
	Enrolled() (client.Enrollment, bool)
	Poll(ctx context.Context) ([]client.Offer, error)
	Offers() []client.Offer
	Offer(job string) (client.Offer, bool)
	Run(ctx context.Context, job string, progress func(client.Progress)) (client.HistoryEntry, error)
	RunDue(ctx context.Context, automatedOnly bool, progress func(job string, p client.Progress)) ([]client.HistoryEntry, error)
	Defer(ctx context.Context, job string) (int, error)
	History(ctx context.Context) ([]client.HistoryEntry, error)
}

var (
	_ pcmEngine = (*client.Engine)(nil)
	_ pcmEngine = (*pcmapi.Client)(nil)
)

// isRoot reports whether this process runs as root, or on Windows as
// LocalSystem (the agent's service account).
func isRoot() bool {
	if runtime.GOOS == "windows" {
		u, err := user.Current()
		return err == nil && u.Uid == "S-1-5-18"
	}
	return os.Geteuid() == 0
}

// pcmAgentDir is where the pcm verbs look for the agent: --data, else the
// machine-wide directory.
func pcmAgentDir(e *env) string {
	if e.dataDir != "" {
		return e.dataDir
	}
	return client.MachineDataDir()
}

// openPcm attaches to the client agent when one answers, else opens the
// engine in this process (computer is the name an embedded enrolment
// uses). An agent that answers but cannot be used (another version, a
// socket this user may not open) is said in a sentence: the store behind
// it is never opened.
func openPcm(ctx context.Context, e *env, p *pcmFlags, computer string) (pcmEngine, func() error, error) {
	c, err := pcmapi.Attach(ctx, pcmAgentDir(e), e.buildVersion())
	if err == nil {
		if p.cache != "" || p.slowLink {
			fmt.Fprintf(e.stderr, "smsctl: warning: --cache and --slow-link are ignored: %s at %s runs with its own settings\n", pcmapi.Service, c.Addr())
		}
		return c, func() error { c.Close(); return nil }, nil
	}
	if !errors.Is(err, localapi.ErrNoService) {
		return nil, nil, err
	}
	return openEngine(e, p, nil, computer)
}
