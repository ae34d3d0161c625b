package main

// The event log: what the watchdog and the administrators did.

import (
	"context"
	"flag"
	"fmt"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "event", Summary: "list the event log", Verbs: []verb{
		{Name: "list", Summary: "list events, newest first", Setup: eventList,
			Usage: "[--job ID] [--computer NAME] [--severity info|warning|error] [--since T] [--limit N]"},
	}})
}

func eventList(fs *flag.FlagSet) runFunc {
	job := fs.String("job", "", "only the events of job `ID`")
	computer := fs.String("computer", "", "only the events of computer `NAME`")
	severity := fs.String("severity", "", "only events of this `severity`: info, warning or error")
	since := fs.String("since", "", "only events after `T`: an RFC 3339 time or a time ago like -2h, -1d")
	limit := fs.Int("limit", 100, "at most `N` events; 0 = all")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		f := admin.EventFilter{Job: *job, Computer: model.NormalizeComputerName(*computer), Severity: model.Severity(*severity), Limit: *limit}
		switch f.Severity {
		case "", model.SevInfo, model.SevWarning, model.SevError:
		default:
			return usagef("--severity %q is not info, warning or error", *severity)
		}
		if *limit < 0 {
			return usagef("--limit %d is negative", *limit)
		}
		if *since != "" {
			now := time.Now().UTC()
			s := *since
			if s[0] == '-' { // a time ago: parseWhen reads times from now
				s = "+" + s[1:]
				t, err := parseWhen(s, now)
				if err != nil {
					return usagef("--since: %v", err)
				}
				f.Since = now.Add(-t.Sub(now))
			} else {
				t, err := parseWhen(s, now)
				if err != nil {
					return usagef("--since: %v", err)
				}
				f.Since = t
			}
		}
		evs, err := api.ListEvents(ctx, f)
		if err != nil {
			return err
		}
		if e.json {
			return e.printJSON(evs)
		}
		for _, ev := range evs {
			fmt.Fprintln(e.stdout, eventLine(ev))
		}
		return nil
	})
}

// eventLine is one event as run-once and event list print it.
func eventLine(ev model.Event) string {
	return fmt.Sprintf("%s  %-7s  %s", ev.Time.Local().Format("2006-01-02 15:04:05"), ev.Severity, ev.Message)
}
