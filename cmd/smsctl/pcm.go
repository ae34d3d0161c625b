package main

// The Package Command Manager without a window. Every verb is a thin shell
// over core/client's Engine, the same one the PCM window drives: the
// client agent's (`pcm serve`, see pcmserve.go) when one answers, else one
// in this process (see pcmattach.go). The client keeps its own store
// (storage/clientstore) in --data, never in the Administrator's.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

const pcmDataHelp = "--data DIR is the client's own data directory (default: the client agent's when it runs, else the user's config directory + /opensms-client; root's is " + "the machine-wide one)"

func init() {
	register(command{Name: "pcm", Summary: "the Package Command Manager without a window: enrol, list, run, serve", Verbs: []verb{
		{Name: "enroll", Summary: "enrol this computer with a site and pin the site's key", Setup: pcmEnroll,
			Usage: "--site-share URL [--user U [--domain D]] [--password-env VAR | --password-stdin] [--name PC001] [--trust FINGERPRINT]\n\n" +
				"Without --trust, enroll shows the site's key fingerprint and asks; compare it with what 'smsctl key show' prints on the\n" +
				"Administrator's side. " + pcmDataHelp + "."},
		{Name: "list", Summary: "poll the site and list the offers with their state", Setup: pcmList, Usage: "[--json] [--slow-link]"},
		{Name: "run", Args: "JOBID", NArgs: -1, Summary: "run an offered job now (again, if it ran), or with --due every automated mandatory job whose time has come", Setup: pcmRun,
			Usage: "JOBID | --due [--json] [--slow-link]"},
		{Name: "defer", Args: "JOBID", NArgs: 1, Summary: "postpone a mandatory job, as Later does in the window", Setup: pcmDefer},
		{Name: "serve", Summary: "run the client agent until SIGINT or SIGTERM: poll, run due system background jobs, report, serve the PCM API on DATA/pcm.sock; logs to standard error", Setup: pcmServe,
			Usage: "[--interval 5m] [--slow-link]"},
		{Name: "install-service", Summary: "install the client agent for --data (default: the machine-wide one) as a system service (systemd, Windows service) and start it",
			Usage: "[--print]", Setup: pcmInstallService},
		{Name: "history", Summary: "list what ran on this computer, newest first", Setup: pcmHistory, Usage: "[--json]"},
		{Name: "show", Summary: "show the enrolment: site, key fingerprint and computer name", Setup: pcmShow},
	}})
}

// pcmFlags are the flags every pcm verb that runs the engine shares.
type pcmFlags struct {
	cache    string
	slowLink bool
}

func addPcmFlags(fs *flag.FlagSet, withSlowLink bool) *pcmFlags {
	p := &pcmFlags{}
	fs.StringVar(&p.cache, "cache", "", "package cache `DIR` (default: the data directory + /cache)")
	if withSlowLink {
		fs.BoolVar(&p.slowLink, "slow-link", false, "this computer is on a slow link: offers that allow it are not mandatory")
	}
	return p
}

// pcmDataDir is where the engine's store is when this process runs it:
// --data, else root's machine-wide directory (the agent's), else the
// user's own; never the Administrator's.
func pcmDataDir(e *env) (string, error) {
	if e.dataDir != "" {
		return e.dataDir, nil
	}
	if isRoot() {
		return client.MachineDataDir(), nil
	}
	return model.DefaultDataDir(model.ClientDataName)
}

// openEngine opens the client store and the engine over it; close ends both.
func openEngine(e *env, p *pcmFlags, log *slog.Logger, computer string) (*client.Engine, func() error, error) {
	dir, err := pcmDataDir(e)
	if err != nil {
		return nil, nil, err
	}
	if dir == client.MachineDataDir() {
		// Root enrolling before the agent runs: users must reach the
		// agent's socket here later.
		if err := agentDataDir(dir); err != nil {
			return nil, nil, err
		}
	}
	st, err := clientstore.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	if log == nil {
		log = slog.New(quietRefusals{slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})})
	}
	eng, err := client.New(client.Config{
		DataDir: dir, CacheDir: p.cache, Computer: computer, ClientVersion: "smsctl-pcm/" + e.buildVersion(), // reported in the inventory
		Opener: shares.NewOpener(), Logger: log, SlowLink: p.slowLink,
	}, st)
	if err != nil {
		st.Close()
		return nil, nil, usagef("%v", err)
	}
	return eng, st.Close, nil
}

// engineErr turns the engine's "you asked for something that is not there"
// into bad input, with a hint where one helps.
func engineErr(err error) error {
	switch {
	case errors.Is(err, client.ErrNotEnrolled):
		return usagef("%v: enrol it first with 'smsctl pcm enroll --site-share URL'", err)
	case errors.Is(err, client.ErrNotOffered):
		// A job that completed, expired or was canceled is withdrawn from
		// the instructions, so a second run of it is refused too.
		return usagef("%v: 'smsctl pcm list' shows what is offered now; a job that completed, expired or was canceled is offered no more", err)
	case errors.Is(err, client.ErrNotMandatory),
		errors.Is(err, client.ErrNoDeferralsLeft), errors.Is(err, client.ErrUntrustedKey):
		return usagef("%v", err)
	}
	return err
}

func pcmEnroll(fs *flag.FlagSet) runFunc {
	siteShare := fs.String("site-share", "", "the site share: `URL` (smb://host/share) or UNC (\\\\host\\share)")
	name := fs.String("name", "", "this computer's `name` in the site (default: the host name)")
	trust := fs.String("trust", "", "enrol unattended, trusting only the site key with this `FINGERPRINT`")
	cred := addCredFlags(fs)
	p := addPcmFlags(fs, false)
	return func(ctx context.Context, e *env, _ []string) error {
		if err := requireFlags(fs, "site-share"); err != nil {
			return err
		}
		c, err := cred.login(e, "site-share", *siteShare)
		if err != nil {
			return err
		}
		if *name != "" {
			if err := model.ValidComputerName(model.NormalizeComputerName(*name)); err != nil {
				return usagef("--name: %v", err)
			}
		}
		eng, closeEng, err := openPcm(ctx, e, p, *name)
		if err != nil {
			return err
		}
		defer closeEng()
		fp := strings.TrimSpace(*trust)
		if fp == "" {
			info, got, err := eng.Probe(ctx, *siteShare, c)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "site:        %s (%s)\nfingerprint: %s\n", info.Code, info.Name, got)
			if !interactive(e.stdin) {
				return usagef("not enrolled: compare the fingerprint with the Administrator's ('smsctl key show') and give it with --trust")
			}
			fmt.Fprint(e.stdout, "Is this the fingerprint the administrator gave you? Trust this site [y/N]: ")
			answer, err := readLine(e.stdin)
			if err != nil {
				return fmt.Errorf("reading the answer: %w", err)
			}
			if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
				return usagef("not enrolled: the site's key was not trusted")
			}
			fp = got
		}
		enr, err := eng.Enroll(ctx, *siteShare, c, *name, fp)
		if err != nil {
			return engineErr(err)
		}
		return e.show(enrollView(enr), enrollFields(enr))
	}
}

// interactive reports whether r is a terminal a person can answer on.
func interactive(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// enrollment is what pcm enroll and pcm show print as JSON (never the
// password: model.Secret masks itself, and the user is enough).
type enrollment struct {
	SiteShare   string    `json:"site_share"`
	User        string    `json:"user,omitempty"`
	SiteCode    string    `json:"site_code"`
	SiteName    string    `json:"site_name"`
	Fingerprint string    `json:"fingerprint"`
	Computer    string    `json:"computer"`
	Enrolled    time.Time `json:"enrolled"`
}

func enrollView(enr client.Enrollment) enrollment {
	return enrollment{SiteShare: enr.SiteShare, User: enr.Credentials.Login(), SiteCode: enr.SiteCode, SiteName: enr.SiteName,
		Fingerprint: enr.Fingerprint, Computer: enr.Computer, Enrolled: enr.Enrolled}
}

func enrollFields(enr client.Enrollment) []field {
	return []field{
		{"site", enr.SiteCode + " (" + enr.SiteName + ")"},
		{"site share", enr.SiteShare},
		{"user", orDash(enr.Credentials.Login())},
		{"fingerprint", enr.Fingerprint},
		{"computer", enr.Computer},
		{"enrolled", when(enr.Enrolled)},
	}
}

func pcmShow(fs *flag.FlagSet) runFunc {
	p := addPcmFlags(fs, false)
	return func(ctx context.Context, e *env, _ []string) error {
		eng, closeEng, err := openPcm(ctx, e, p, "")
		if err != nil {
			return err
		}
		defer closeEng()
		enr, ok := eng.Enrolled()
		if !ok {
			return engineErr(client.ErrNotEnrolled)
		}
		return e.show(enrollView(enr), enrollFields(enr))
	}
}

// openPolled opens the client's engine and polls it (see pollOrWarn); the
// caller closes the engine, also when the poll's error is returned.
func openPolled(ctx context.Context, e *env, p *pcmFlags) (pcmEngine, func() error, error) {
	eng, closeEng, err := openPcm(ctx, e, p, "")
	if err != nil {
		return nil, nil, err
	}
	if err := pollOrWarn(ctx, e, eng); err != nil {
		closeEng()
		return nil, nil, err
	}
	return eng, closeEng, nil
}

// pollOrWarn polls; when the site cannot be reached it warns and goes on
// with the offers kept from the last good poll, which were verified.
func pollOrWarn(ctx context.Context, e *env, eng pcmEngine) error {
	_, err := eng.Poll(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, client.ErrNotEnrolled), errors.Is(err, client.ErrUntrusted):
		return engineErr(err)
	}
	fmt.Fprintf(e.stderr, "smsctl: warning: %v; showing the offers of the last good poll\n", err)
	return nil
}

func pcmList(fs *flag.FlagSet) runFunc {
	p := addPcmFlags(fs, true)
	return func(ctx context.Context, e *env, _ []string) error {
		eng, closeEng, err := openPolled(ctx, e, p)
		if err != nil {
			return err
		}
		defer closeEng()
		offers := nonNil(eng.Offers())
		rows := make([][]string, 0, len(offers))
		for _, o := range offers {
			rows = append(rows, []string{o.Job, o.Package, o.PackageName, o.Command.Name, string(o.State),
				mandatoryText(o), inputText(o), lastText(o.Last)})
		}
		return e.table(offers, []string{"JOB", "PACKAGE", "NAME", "COMMAND", "STATE", "MANDATORY", "INPUT", "LAST RUN"}, rows)
	}
}

func mandatoryText(o client.Offer) string {
	if !o.Mandatory {
		return "no"
	}
	return fmt.Sprintf("at %s (%d deferrals left)", when(o.DueAt), o.DeferralsLeft)
}

func inputText(o client.Offer) string {
	if o.NeedsInput {
		return "needs user"
	}
	return "automated"
}

func lastText(h *client.HistoryEntry) string {
	if h == nil {
		return "never"
	}
	s := when(h.Started) + " " + h.Outcome()
	if h.ExitCode != nil {
		s += fmt.Sprintf(" (exit %d)", *h.ExitCode)
	}
	return s
}

func pcmRun(fs *flag.FlagSet) runFunc {
	due := fs.Bool("due", false, "run every automated mandatory job whose time has come, instead of one JOBID")
	p := addPcmFlags(fs, true)
	return func(ctx context.Context, e *env, args []string) error {
		switch {
		case *due && len(args) > 0:
			return usagef("give JOBID or --due, not both")
		case !*due && len(args) != 1:
			return usagef("give one JOBID, or --due")
		}
		eng, closeEng, err := openPolled(ctx, e, p)
		if err != nil {
			return err
		}
		defer closeEng()
		pr := &runPrinter{e: e}
		if *due {
			hs, runErr := eng.RunDue(ctx, true, func(job string, p client.Progress) { pr.progress(job, p) })
			for _, o := range eng.Offers() {
				if o.State == client.OfferDue && o.NeedsInput {
					fmt.Fprintf(e.stderr, "smsctl: %s (%s) needs user input: run it with 'smsctl pcm run %s' or from the PCM window\n", o.Job, o.PackageName, o.Job)
				}
			}
			if e.json {
				if err := e.printJSON(nonNil(hs)); err != nil {
					return err
				}
			} else if len(hs) == 0 {
				fmt.Fprintln(e.stdout, "nothing is due")
			}
			for _, h := range hs {
				pr.summary(h)
			}
			return runErr
		}
		job := strings.ToUpper(strings.TrimSpace(args[0]))
		h, runErr := eng.Run(ctx, job, func(p client.Progress) { pr.progress(job, p) })
		if h.Started.IsZero() {
			return engineErr(runErr)
		}
		if e.json {
			if err := e.printJSON(h); err != nil {
				return err
			}
		}
		pr.summary(h)
		return runErr
	}
}

// runPrinter shows a run as it goes: the command's output on standard
// output (unless --json), the steps on standard error.
type runPrinter struct {
	e        *env
	lastStep client.Step
	lastPct  int64
}

func (r *runPrinter) progress(job string, p client.Progress) {
	if p.Step == client.StepRun && p.Output != "" {
		if !r.e.json {
			io.WriteString(r.e.stdout, p.Output)
		}
		return
	}
	switch p.Step {
	case client.StepDownload:
		pct := int64(100)
		if p.Total > 0 {
			pct = p.Done * 100 / p.Total
		}
		if r.lastStep == p.Step && pct/25 == r.lastPct/25 && pct != 100 {
			return
		}
		r.lastPct = pct
		fmt.Fprintf(r.e.stderr, "%s: downloading from %s: %d%% of %d bytes\n", job, p.Server, pct, p.Total)
	case r.lastStep:
		return
	default:
		fmt.Fprintf(r.e.stderr, "%s: %s\n", job, p.Step)
	}
	r.lastStep = p.Step
}

func (r *runPrinter) summary(h client.HistoryEntry) {
	line := fmt.Sprintf("%s: %s", h.Job, h.Outcome())
	if h.ExitCode != nil {
		line += fmt.Sprintf(", exit code %d", *h.ExitCode)
	}
	if h.Reboot != model.RebootNone {
		line += ", " + string(h.Reboot) + " reboot needed"
	}
	fmt.Fprintln(r.e.stderr, line)
	r.lastStep = ""
}

func pcmDefer(fs *flag.FlagSet) runFunc {
	p := addPcmFlags(fs, true)
	return func(ctx context.Context, e *env, args []string) error {
		eng, closeEng, err := openPolled(ctx, e, p)
		if err != nil {
			return err
		}
		defer closeEng()
		job := strings.ToUpper(strings.TrimSpace(args[0]))
		left, err := eng.Defer(ctx, job)
		if err != nil {
			return engineErr(err)
		}
		o, _ := eng.Offer(job)
		if e.json {
			return e.printJSON(o)
		}
		fmt.Fprintf(e.stdout, "%s postponed until %s; %d deferrals left\n", job, when(o.DueAt), left)
		return nil
	}
}

func pcmHistory(fs *flag.FlagSet) runFunc {
	p := addPcmFlags(fs, false)
	return func(ctx context.Context, e *env, _ []string) error {
		eng, closeEng, err := openPcm(ctx, e, p, "")
		if err != nil {
			return err
		}
		defer closeEng()
		hs, err := eng.History(ctx)
		if err != nil {
			return err
		}
		hs = nonNil(hs)
		rows := make([][]string, 0, len(hs))
		for _, h := range hs {
			exit := "-"
			if h.ExitCode != nil {
				exit = fmt.Sprint(*h.ExitCode)
			}
			rows = append(rows, []string{when(h.Started), h.Job, h.Package, h.Command, h.Outcome(), exit, orDash(string(h.Reboot)), orDash(h.Error)})
		}
		return e.table(hs, []string{"STARTED", "JOB", "PACKAGE", "COMMAND", "STATE", "EXIT", "REBOOT", "ERROR"}, rows)
	}
}

// quietRefusals drops the engine's log line about refused instructions in
// the one-shot verbs: the verb returns that same refusal, which smsctl
// prints as its one sentence, and the log line said it a second time.
type quietRefusals struct{ slog.Handler }

// Handle passes every record but a refusal of the instructions.
func (q quietRefusals) Handle(ctx context.Context, r slog.Record) error {
	refused := false
	r.Attrs(func(a slog.Attr) bool {
		if err, ok := a.Value.Any().(error); ok && errors.Is(err, client.ErrUntrusted) {
			refused = true
			return false
		}
		return true
	})
	if refused {
		return nil
	}
	return q.Handler.Handle(ctx, r)
}

// WithAttrs keeps the filter on the derived handler.
func (q quietRefusals) WithAttrs(as []slog.Attr) slog.Handler {
	return quietRefusals{q.Handler.WithAttrs(as)}
}

// WithGroup keeps the filter on the derived handler.
func (q quietRefusals) WithGroup(name string) slog.Handler {
	return quietRefusals{q.Handler.WithGroup(name)}
}
