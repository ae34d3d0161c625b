package main

// smsctl pcm unenroll and pcm set: what only the client agent's own user
// (root, SYSTEM) may do. Attached, the agent decides that from the peer's
// credentials and answers anyone else with a sentence; embedded, the store
// is the user's own and so is the change.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"

	"opensms/core/client"
	"opensms/core/model"
)

func init() {
	registerVerbs("pcm",
		verb{Name: "unenroll", Summary: "forget the site: its enrolment and pinned key go, its offers are withdrawn; history stays", Setup: pcmUnenroll},
		verb{Name: "set", Summary: "change the client's settings (kept across restarts; attached, root only) and show them", Setup: pcmSet,
			Usage: "[--interval 5m] [--defer-for 1h] [--slow-link=true|false]"})
}

// pcmAdmin is what unenroll and set use of an engine, in this process or
// the agent's.
type pcmAdmin interface {
	pcmEngine
	Unenroll(ctx context.Context) (client.Enrollment, error)
	ChangeSettings(ctx context.Context, c client.SettingsChange) (client.Settings, error)
}

// openPcmAdmin is openPcm for unenroll and set.
func openPcmAdmin(ctx context.Context, e *env, p *pcmFlags) (pcmAdmin, func() error, error) {
	eng, closeEng, err := openPcm(ctx, e, p, "")
	if err != nil {
		return nil, nil, err
	}
	a, ok := eng.(pcmAdmin)
	if !ok { // both engines have the methods; this is a programming error
		closeEng()
		return nil, nil, fmt.Errorf("the PCM engine %T cannot unenrol or change settings", eng)
	}
	return a, closeEng, nil
}

func pcmUnenroll(fs *flag.FlagSet) runFunc {
	p := addPcmFlags(fs, false)
	return func(ctx context.Context, e *env, _ []string) error {
		eng, closeEng, err := openPcmAdmin(ctx, e, p)
		if err != nil {
			return err
		}
		defer closeEng()
		old, err := eng.Unenroll(ctx)
		if errors.Is(err, client.ErrNotEnrolled) {
			return usagef("%v: there is nothing to unenrol", err)
		}
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(enrollView(old))
		}
		fmt.Fprintf(e.stdout, "unenrolled from site %s (%s); %s keeps its history and its own key\n", old.SiteCode, old.SiteName, old.Computer)
		return nil
	}
}

// settingsView is what pcm set prints.
type settingsView struct {
	Interval string `json:"interval"`
	DeferFor string `json:"defer_for"`
	SlowLink bool   `json:"slow_link"`
}

func pcmSet(fs *flag.FlagSet) runFunc {
	interval := fs.Duration("interval", 0, "how often the agent polls the site")
	deferFor := fs.Duration("defer-for", 0, "how long one Later postpones a mandatory job")
	slowLink := fs.Bool("slow-link", false, "this computer is on a slow link: offers that allow it are not mandatory")
	cache := fs.String("cache", "", "package cache `DIR` of an engine in this process (default: the data directory + /cache)")
	return func(ctx context.Context, e *env, _ []string) error {
		var ch client.SettingsChange
		fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "interval":
				ch.Interval = interval
			case "defer-for":
				ch.DeferFor = deferFor
			case "slow-link":
				ch.SlowLink = slowLink
			}
		})
		// Refused here too, so that a typo needs no agent.
		if err := ch.Validate(); err != nil {
			return usagef("settings not changed: %v", err)
		}
		eng, closeEng, err := openPcmAdmin(ctx, e, &pcmFlags{cache: *cache})
		if err != nil {
			return err
		}
		defer closeEng()
		s, err := eng.ChangeSettings(ctx, ch)
		if errors.Is(err, model.ErrInvalid) {
			return usagef("%v", err)
		}
		if err != nil {
			return err
		}
		v := settingsView{Interval: s.Interval.String(), DeferFor: s.DeferFor.String(), SlowLink: s.SlowLink}
		return e.show(v, []field{{"interval", v.Interval}, {"defer-for", v.DeferFor}, {"slow-link", strconv.FormatBool(v.SlowLink)}})
	}
}
