package main

// Jobs: add, list, status, cancel, rm.

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
)

func init() {
	register(command{Name: "job", Summary: "add, list, follow, cancel and remove jobs", Verbs: []verb{
		{Name: "add", Summary: "add a job and print its new ID", Setup: jobAdd,
			Usage: "--package ID --target site:S01|group:NAME|computer:NAME [--subsites] [--type run|share|remove] [--command NAME] " +
				"[--send if-not-sent|always] [--refresh-existing] [--servers default|group:NAME] [--start-after T] [--offer-after T] " +
				"[--mandatory-after T] [--expires-after T] [--priority high|medium|low] [--repeat never|daily|weekly|biweekly|monthly] [--deferrals N]\n\n" +
				"T is an RFC 3339 time (2026-12-01T08:00:00Z) or a time from now: +30m, +2h, +1d, +1d12h."},
		{Name: "list", Summary: "list jobs, newest first", Setup: jobList},
		{Name: "status", Args: "ID", NArgs: 1, Summary: "show a job: its state, sub-statuses, servers and computers", Setup: jobStatus},
		{Name: "cancel", Args: "ID", NArgs: 1, Summary: "cancel a job that has not finished", Setup: jobCancel},
		{Name: "rm", Args: "ID", NArgs: 1, Summary: "remove a job that is pending or finished", Setup: jobRm},
		rerunVerb,
	}})
}

// parseWhen reads an RFC 3339 time or a time relative to now: "+" and a Go
// duration that may begin with days ("+1d", "+1d12h", "+90m").
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if strings.EqualFold(s, "now") {
		return now, nil
	}
	if rest, ok := strings.CutPrefix(s, "+"); ok {
		if rest == "" {
			return time.Time{}, fmt.Errorf("%q is not a time from now like +30m, +2h or +1d", s)
		}
		var d time.Duration
		if days, more, ok := strings.Cut(rest, "d"); ok {
			n, err := strconv.Atoi(days)
			if err != nil || n < 0 || n > 3660 {
				return time.Time{}, fmt.Errorf("%q is not a number of days followed by d, like +1d", s)
			}
			d = time.Duration(n) * 24 * time.Hour
			rest = more
		}
		if rest != "" {
			x, err := time.ParseDuration(rest)
			if err != nil || x < 0 {
				return time.Time{}, fmt.Errorf("%q is not a time from now like +30m, +2h or +1d", s)
			}
			d += x
		}
		return now.Add(d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2026-12-01T08:00:00Z) nor a time from now (+2h)", s)
	}
	return t, nil
}

func jobAdd(fs *flag.FlagSet) runFunc {
	pkg := fs.String("package", "", "package `ID`")
	target := fs.String("target", "", "`target`: site:S01, group:NAME or computer:NAME")
	subsites := fs.Bool("subsites", false, "a site target includes its sub-sites")
	typ := fs.String("type", "run", "job `type`: run (Run Command On Workstation), share (Share Package On Server) or remove (Remove Package From Server)")
	command := fs.String("command", "", "command line `NAME` to run (default: the package's only one)")
	send := fs.String("send", string(model.SendIfNotSent), "send `mode`: if-not-sent reuses the archive while the source is unchanged, always packs again")
	refresh := fs.Bool("refresh-existing", false, "push again to servers that already hold the package")
	servers := fs.String("servers", "default", "distribution `servers`: default (the sites' Default Servers) or group:NAME")
	startAfter := fs.String("start-after", "", "start the job after `T` (default now)")
	offerAfter := fs.String("offer-after", "", "offer the command to users after `T`")
	mandatoryAfter := fs.String("mandatory-after", "", "run it without asking after `T`")
	expiresAfter := fs.String("expires-after", "", "withdraw the offer after `T`")
	slow := fs.Bool("not-mandatory-over-slow-links", false, "a client on a slow link may decline a mandatory run")
	priority := fs.String("priority", string(model.PriorityMedium), "`priority`: high, medium or low")
	repeat := fs.String("repeat", string(model.RepeatNever), "`repeat`: never, daily, weekly, biweekly or monthly")
	deferrals := fs.Int("deferrals", model.DefaultDeferrals, "how many times a user may say Later to a mandatory run (`N`)")
	comment := fs.String("comment", "", "comment `text`")
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		if err := requireFlags(fs, "package", "target"); err != nil {
			return err
		}
		now := time.Now().UTC()
		j := model.Job{Created: now}
		j.ApplyDefaults()
		t, err := model.ParseTarget(*target)
		if err != nil {
			return err
		}
		t.Subsites = t.Subsites || *subsites
		j.Type, j.Package, j.Target, j.Send, j.Comment = model.JobType(*typ), strings.ToUpper(strings.TrimSpace(*pkg)), t, model.SendMode(*send), *comment
		j.Distribute.RefreshExisting = *refresh
		switch sv := strings.TrimSpace(*servers); {
		case sv == "default" || sv == "":
		case strings.HasPrefix(sv, "group:"):
			if err := j.Distribute.SetServers(true, strings.TrimPrefix(sv, "group:")); err != nil {
				return err
			}
		default:
			return usagef("--servers %q is not default or group:NAME", sv)
		}
		for _, tf := range []struct {
			flag string
			val  string
			dst  *time.Time
		}{
			{"start-after", *startAfter, &j.Schedule.StartAfter},
			{"offer-after", *offerAfter, &j.Run.OfferAfter},
			{"mandatory-after", *mandatoryAfter, &j.Run.MandatoryAfter},
			{"expires-after", *expiresAfter, &j.Run.ExpiresAfter},
		} {
			v, err := parseWhen(tf.val, now)
			if err != nil {
				return usagef("--%s: %v", tf.flag, err)
			}
			*tf.dst = v
		}
		if j.Schedule.StartAfter.IsZero() {
			j.Schedule.StartAfter = now
		}
		j.Run.NotMandatoryOverSlowLinks = *slow
		j.Run.Deferrals = *deferrals
		j.Schedule.Priority, j.Schedule.Repeat = model.Priority(*priority), model.Repeat(*repeat)

		if *command != "" && j.Type != model.JobRun {
			return usagef("--command applies to run jobs only, not to %s jobs", j.Type)
		}
		j.Run.Command = *command
		created, err := api.AddJob(ctx, j)
		if err != nil {
			return err
		}
		for _, w := range created.Warnings {
			fmt.Fprintln(e.stderr, "smsctl: warning: "+w)
		}
		if e.json {
			return e.printJSON(created.Job)
		}
		fmt.Fprintln(e.stdout, created.Job.ID)
		return nil
	})
}

func jobList(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, _ []string) error {
		jobs, err := api.ListJobs(ctx)
		if err != nil {
			return err
		}
		return list(e, jobs, []string{"ID", "TYPE", "PACKAGE", "TARGET", "STATE", "SENDING", "WORKING", "COMPUTERS", "PRIORITY", "START AFTER"}, func(j model.Job) []string {
			return []string{j.ID, j.Type.String(), j.Package, j.Target.String(), stateLine(j.Status),
				orDash(string(j.Status.Sending)), orDash(string(j.Status.Working)), computersDone(j.Status),
				string(j.Schedule.Priority), when(j.Schedule.StartAfter)}
		})
	})
}

// computersDone says how many of a Run Command job's computers have a
// result: "1/3" (how they stand is in stateLine).
func computersDone(s model.JobStatus) string {
	if s.TargetsTotal == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d", s.TargetsDone, s.TargetsTotal)
}

// stateLine is a job's state with its computers' outcomes beside it:
// "failed (1 failed, 1 not applicable)".
func stateLine(s model.JobStatus) string {
	if o := s.Outcomes(); o != "" {
		return s.State.String() + " (" + o + ")"
	}
	return s.State.String()
}

func jobStatus(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		js, err := api.GetJob(ctx, args[0])
		if err != nil {
			return err
		}
		j, s := js.Job, js.Job.Status
		fields := []field{
			{"job", j.ID},
			{"type", j.Type.String()},
			{"package", j.Package},
			{"command", orDash(j.Run.Command)},
			{"target", j.Target.String()},
			{"state", stateLine(s)},
			{"sending", orDash(string(s.Sending))},
			{"working", orDash(string(s.Working))},
			{"archive", orDash(archiveLine(s))},
			{"computers", computersDone(s)},
			{"start after", when(j.Schedule.StartAfter)},
			{"activated", when(s.Activated)},
			{"finished", when(s.Finished)},
		}
		if s.LastError != "" {
			fields = append(fields, field{"last error", s.LastError})
		}
		if !s.NextAction.IsZero() && !s.State.Final() {
			fields = append(fields, field{"next action", when(s.NextAction)})
		}
		names := make([]string, 0, len(s.Servers))
		for k := range s.Servers {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			fields = append(fields, field{"server " + k, serverLine(s.Servers[k])})
		}
		for _, t := range js.Computers {
			fields = append(fields, field{"computer " + t.Computer, computerLine(t)})
			if t.State == model.TargetFailed || t.State == model.TargetRetrying {
				// The last lines of its output, cleaned again in case the
				// store holds text from before the collector cleaned it.
				for _, l := range strings.Split(model.LastLines(model.CleanText(t.OutputTail), model.OutputTailLines), "\n") {
					if l != "" {
						fields = append(fields, field{"  output", l})
					}
				}
			}
		}
		return e.show(js, fields)
	})
}

func archiveLine(s model.JobStatus) string {
	if s.Archive == "" {
		return ""
	}
	return fmt.Sprintf("%s (%d bytes)", s.Archive, s.ArchiveSize)
}

func serverLine(ss model.ServerStatus) string {
	parts := []string{orDash(string(ss.State))}
	if ss.BytesTotal > 0 {
		parts = append(parts, fmt.Sprintf("%d of %d bytes", ss.BytesDone, ss.BytesTotal))
	}
	parts = append(parts, fmt.Sprintf("attempts %d", ss.Attempts))
	if ss.LastError != "" {
		parts = append(parts, ss.LastError)
	}
	return strings.Join(parts, ", ")
}

func computerLine(t model.TargetStatus) string {
	parts := []string{t.Outcome()}
	if t.Gen() > 1 {
		parts = append(parts, fmt.Sprintf("run %d", t.Gen()))
	}
	if t.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exit code %d", *t.ExitCode))
	}
	if t.Reboot != model.RebootNone {
		parts = append(parts, string(t.Reboot)+" reboot")
	}
	parts = append(parts, fmt.Sprintf("attempts %d", t.Attempts))
	if t.LastError != "" {
		parts = append(parts, model.CleanLine(t.LastError))
	}
	if !t.Joined.IsZero() {
		parts = append(parts, "joined "+when(t.Joined))
	}
	return strings.Join(parts, ", ")
}

func jobCancel(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.CancelJob(ctx, args[0])
	})
}

func jobRm(fs *flag.FlagSet) runFunc {
	return withAPI(func(ctx context.Context, e *env, api admin.API, args []string) error {
		return api.DeleteJob(ctx, args[0])
	})
}
