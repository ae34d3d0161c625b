package watchdog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"opensms/core/model"
	"opensms/core/share"
)

// RunOnce runs one cycle: rescue (the first time), activate, send,
// distribute, collect, finish, offer. Failures of one job, server or site
// are recorded on the job and in events and do not stop the cycle; the
// error returned says what kept the cycle from its work (the store, a site
// share that cannot be reached, ctx). One cycle runs at a time: a second
// call waits for the first.
func (s *Service) RunOnce(ctx context.Context) error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	s.cycleMu.Lock()
	defer s.cycleMu.Unlock()
	started := s.cfg.Now()
	s.publish(Update{Kind: UpdateCycle, Cycle: &Cycle{Started: started, Next: s.NextCycle()}})
	err := s.cycle(ctx)
	c := &Cycle{Started: started, Duration: max(s.cfg.Now().Sub(started), 1), Next: s.NextCycle()}
	if err != nil {
		c.Err = s.sentence(err)
		err = errors.New(c.Err)
	}
	s.publish(Update{Kind: UpdateCycle, Cycle: c})
	return err
}

func (s *Service) cycle(ctx context.Context) error {
	// Phase times go to the debug log: at 10,000 computers they say
	// which part of a cycle to look at.
	var phases []any
	mark := time.Now()
	phase := func(name string) {
		now := time.Now()
		phases = append(phases, name, now.Sub(mark).Round(time.Millisecond))
		mark = now
	}
	defer func() { s.log.Debug("cycle phases", phases...) }()
	w, err := s.load(ctx)
	if err != nil {
		return err
	}
	w.sessions = newSessionPool(ctx, s.op)
	defer w.sessions.close()
	phase("load")
	if !s.cs.rescued {
		s.rescue(ctx, w)
		s.cs.rescued = true
	}
	// The site shares connect while the jobs work (a few round trips
	// each, more over a WAN): collect and offer need them afterwards.
	dials := s.dialSites(ctx, w)
	var shares map[string]share.FS
	defer func() {
		if shares == nil { // the cycle ended before it took them
			for _, d := range <-dials {
				if d.fsys != nil {
					_ = d.fsys.Close()
				}
			}
		}
	}()
	for _, j := range dueJobs(w.jobs, w.now) {
		s.activate(ctx, j)
	}
	for _, j := range activeJobs(w.jobs) {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.work(ctx, w, j)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	phase("work")
	runs, err := s.loadRuns(ctx, w)
	if err != nil {
		return err
	}
	phase("loadRuns")
	shares, errs := s.openSites(ctx, <-dials)
	defer func() {
		for _, fsys := range shares {
			_ = fsys.Close()
		}
	}()
	phase("openSites")
	errs = append(errs, s.collect(ctx, w, runs, shares)...)
	if err := ctx.Err(); err != nil {
		return err
	}
	phase("collect")
	s.followGroups(ctx, w, runs, s.evaluateGroups(ctx, w))
	phase("groups")
	s.finish(ctx, w, runs)
	phase("finish")
	errs = append(errs, s.offer(ctx, w, runs, shares)...)
	phase("offer")
	return errors.Join(errs...)
}

// rescue resumes the jobs a crash (or a Stop) left in the middle of
// sending or distributing: their interrupted phases become Retrying, and
// the same cycle takes them up where they stopped. Nothing is started
// again from zero: a finished archive is kept, servers that hold it are
// not pushed again, and an interrupted push resumes from its temporary
// file.
func (s *Service) rescue(ctx context.Context, w *world) {
	for _, j := range activeJobs(w.jobs) {
		var phases []string
		if j.Status.Sending == model.PhaseActive {
			j.Status.Sending = model.PhaseRetrying
			phases = append(phases, "sending")
		}
		if j.Status.Working == model.PhaseActive {
			j.Status.Working = model.PhaseRetrying
			phases = append(phases, "distributing")
		}
		for k, ss := range j.Status.Servers {
			if ss.State == model.PhaseActive {
				ss.State = model.PhaseRetrying
				ss.LastError = "interrupted when the watchdog stopped"
				j.Status.Servers[k] = ss
			}
		}
		if len(phases) == 0 {
			continue
		}
		what := phases[0]
		if len(phases) == 2 {
			what = phases[0] + " and " + phases[1]
		}
		msg := fmt.Sprintf("job %s was interrupted while %s when the watchdog stopped; resuming where it stopped", j.ID, what)
		j.Status.LastError = msg
		if err := j.Move(model.JobRetrying, w.now); err != nil {
			s.log.Error("rescuing job", "job", j.ID, "err", err)
			continue
		}
		if err := s.saveJob(ctx, j); err != nil {
			continue
		}
		s.event(ctx, model.Event{Severity: model.SevWarning, Job: j.ID, Package: j.Package, Message: msg})
	}
}

func (s *Service) activate(ctx context.Context, j *model.Job) {
	if err := j.Move(model.JobActive, s.cfg.Now()); err != nil {
		s.log.Error("activating job", "job", j.ID, "err", err)
		return
	}
	if err := s.saveJob(ctx, j); err != nil {
		return
	}
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: j.Package,
		Message: fmt.Sprintf("job %s activated: %s of package %s for %s", j.ID, jobTypeName(j.Type), j.Package, targetString(j.Target))})
}

func jobTypeName(t model.JobType) string {
	switch t {
	case model.JobRun:
		return "Run Command On Workstation"
	case model.JobShare:
		return "Share Package On Server"
	case model.JobRemove:
		return "Remove Package From Server"
	}
	return string(t)
}

// work runs the server side of an active job: Send and Distribute for a
// Run Command job, the copy or the removal for the two server jobs (which
// then complete). A failure leaves the job Retrying with the sentence; the
// next cycle tries again. A job that worked without a failure this cycle
// and was Retrying becomes Active again.
func (s *Service) work(ctx context.Context, w *world, j *model.Job) {
	jctx, done := s.track(ctx, j.ID)
	defer done()
	var ok bool
	switch j.Type {
	case model.JobRun:
		if ok = s.send(jctx, w, j); ok {
			op, err := s.pushArchive(jctx, j)
			ok = s.distribute(jctx, w, j, op, err)
		}
	case model.JobShare:
		pkg, found := w.packages[j.Package]
		if !found {
			s.fail(ctx, w, j, fmt.Sprintf("package %s no longer exists", j.Package))
			return
		}
		op, src, err := s.shareTree(jctx, pkg)
		ok = s.distribute(jctx, w, j, op, err)
		if src != nil {
			src.Close()
		}
	case model.JobRemove:
		// The package may be gone from the store by now; its archives'
		// folder is still removed, and its shared tree when it is known.
		op, err := s.removePackage(j.Package, w.packages[j.Package].Sharing.ShareName)
		ok = s.distribute(jctx, w, j, op, err)
	default:
		s.fail(ctx, w, j, fmt.Sprintf("job type %q is not one the watchdog knows", j.Type))
		return
	}
	if jctx.Err() != nil && ctx.Err() == nil {
		// Canceled while working: the store holds the truth now.
		s.reload(ctx, j)
		return
	}
	if !ok || j.Status.State.Final() {
		return
	}
	if j.Type != model.JobRun {
		s.finalize(ctx, w, j, model.JobComplete, fmt.Sprintf("job %s complete: %s on %s", j.ID, jobTypeName(j.Type), count(len(j.Status.Servers), "server")))
		return
	}
	if j.Status.State == model.JobRetrying {
		s.resumed(ctx, j)
	}
}

// resumed moves a Retrying job back to Active once its failing step works.
func (s *Service) resumed(ctx context.Context, j *model.Job) {
	if err := j.Move(model.JobActive, s.cfg.Now()); err != nil {
		return
	}
	j.Status.LastError = ""
	j.Status.NextAction = time.Time{}
	if err := s.saveJob(ctx, j); err != nil {
		return
	}
	s.clearOnce("job/" + j.ID)
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: j.Package, Message: fmt.Sprintf("job %s is active again", j.ID)})
}

// track gives a job's work its own context, which CancelJob cancels.
func (s *Service) track(ctx context.Context, id string) (context.Context, func()) {
	jctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.inflight[id] = cancel
	s.mu.Unlock()
	return jctx, func() {
		s.mu.Lock()
		delete(s.inflight, id)
		s.mu.Unlock()
		cancel()
	}
}

// reload replaces j with what the store holds.
func (s *Service) reload(ctx context.Context, j *model.Job) {
	cur, err := s.st.GetJob(ctx, j.ID)
	if err != nil {
		j.Cancel = true
		j.Status.State = model.JobCanceled
		return
	}
	*j = cur
}

// retry records a failure the next cycle tries again: the job is (or
// stays) Retrying with e.Message as its last error. key names the failing
// thing so that the same failure every cycle is one event; an empty key
// logs none, for callers that logged the cause themselves.
func (s *Service) retry(ctx context.Context, j *model.Job, key string, e model.Event) {
	now := s.cfg.Now()
	e.Message = s.scrub(e.Message)
	j.Status.LastError = e.Message
	j.Status.NextAction = now.Add(s.cfg.Interval)
	moved := j.Status.State != model.JobRetrying
	if err := j.Move(model.JobRetrying, now); err != nil {
		s.log.Error("job retry", "job", j.ID, "err", err)
		return
	}
	if err := s.saveJob(ctx, j); err != nil {
		return
	}
	if key == "" {
		return // the caller logged the cause, per server
	}
	e.Job, e.Package = j.ID, j.Package
	if e.Severity == "" {
		e.Severity = model.SevError
	}
	if moved {
		s.cs.lastErr[key] = e.Message
		s.event(ctx, e)
		return
	}
	s.eventOnce(ctx, key, e)
}

// fail ends a job that cannot be carried out.
func (s *Service) fail(ctx context.Context, w *world, j *model.Job, msg string) {
	j.Status.LastError = s.scrub(msg)
	s.finalize(ctx, w, j, model.JobFailed, fmt.Sprintf("job %s failed: %s", j.ID, msg))
}

// finalize moves j to Complete or Failed and, when it repeats, creates
// its successor first: a crash between the two leaves the job active, and
// the next cycle finds the successor already there.
func (s *Service) finalize(ctx context.Context, w *world, j *model.Job, to model.JobState, msg string) {
	if err := s.makeSuccessor(ctx, w, j); err != nil {
		s.eventOnce(ctx, "repeat/"+j.ID, model.Event{Severity: model.SevError, Job: j.ID, Package: j.Package,
			Message: fmt.Sprintf("job %s: creating the job that repeats it: %s", j.ID, s.sentence(err))})
		return
	}
	if err := j.Move(to, s.cfg.Now()); err != nil {
		s.log.Error("finishing job", "job", j.ID, "err", err)
		return
	}
	if to == model.JobComplete {
		// What went wrong on the way is in the events; a complete job
		// shows no error of its own.
		j.Status.LastError, j.Status.NextAction = "", time.Time{}
	}
	if err := s.saveJob(ctx, j); err != nil {
		return
	}
	sev := model.SevInfo
	if to == model.JobFailed {
		sev = model.SevError
	}
	s.event(ctx, model.Event{Severity: sev, Job: j.ID, Package: j.Package, Message: msg})
}

// makeSuccessor creates the job that repeats j, unless j does not repeat
// or its successor exists.
func (s *Service) makeSuccessor(ctx context.Context, w *world, j *model.Job) error {
	next, ok := nextRepeat(*j, s.cfg.Now())
	if !ok {
		return nil
	}
	for _, o := range w.jobs {
		if o.RepeatOf == j.ID {
			return nil
		}
	}
	created, err := s.st.CreateJob(ctx, next)
	if err != nil {
		return err
	}
	w.jobs = append(w.jobs, &created)
	s.publishJob(created)
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: created.ID, Package: created.Package,
		Message: fmt.Sprintf("job %s repeats job %s (%s); it starts after %s", created.ID, j.ID, j.Schedule.Repeat, created.Schedule.StartAfter.Format("2006-01-02 15:04 MST"))})
	return nil
}

// siteDial is one site share connected (or not) by dialSites.
type siteDial struct {
	code string
	loc  model.Location
	fsys share.FS
	err  error
}

// dialSites connects every site's share in the background, each with the
// retry policy, and delivers them all, in the order of w.siteCodes, once
// every one has connected or failed. It reads w only before it returns.
func (s *Service) dialSites(ctx context.Context, w *world) <-chan []siteDial {
	type todo struct {
		dial siteDial
		cred model.Credentials
	}
	var list []todo
	for _, code := range w.siteCodes {
		site := w.sites[code]
		if site.Share == "" {
			continue
		}
		d := siteDial{code: code}
		d.loc, d.err = model.ParseLocation(site.Share)
		if d.err != nil {
			d.err = fmt.Errorf("site %s: its share: %w", code, d.err)
		}
		list = append(list, todo{d, site.Credentials})
	}
	out := make(chan []siteDial, 1)
	go func() { // ends when every site has connected or failed
		dials := make([]siteDial, len(list))
		_ = share.Parallel(ctx, s.cfg.SiteConcurrency, len(list), func(ctx context.Context, i int) {
			d := list[i].dial
			if d.err == nil {
				d.err = share.Retry(ctx, s.cfg.Retry, func(ctx context.Context) error {
					fsys, err := s.op.Open(ctx, d.loc, list[i].cred)
					if err == nil {
						d.fsys = fsys // not on an error: an opener may give a typed nil
					}
					return err
				})
				if d.err != nil {
					d.err = fmt.Errorf("site %s: opening its share %s: %w", d.code, d.loc.UNC(), d.err)
				}
			}
			dials[i] = d
		})
		for i := range dials {
			if dials[i].code == "" { // never started: ctx ended
				dials[i] = siteDial{code: list[i].dial.code, err: ctx.Err()}
			}
		}
		out <- dials
	}()
	return out
}

// openSites takes the site shares dialSites connected, and records which
// answer again and which do not.
func (s *Service) openSites(ctx context.Context, dials []siteDial) (map[string]share.FS, []error) {
	out := map[string]share.FS{}
	var errs []error
	for _, d := range dials {
		key := "site/" + d.code
		if d.err == nil {
			out[d.code] = d.fsys
			if s.cs.lastErr[key] != "" {
				s.clearOnce(key)
				s.event(ctx, model.Event{Severity: model.SevInfo, Site: d.code, Message: fmt.Sprintf("site %s: its share %s answers again", d.code, d.loc.UNC())})
			}
			continue
		}
		if ctx.Err() != nil {
			for _, rest := range dials {
				if rest.fsys != nil && out[rest.code] == nil {
					_ = rest.fsys.Close()
				}
			}
			return out, append(errs, ctx.Err())
		}
		errs = append(errs, d.err)
		s.eventOnce(ctx, key, model.Event{Severity: model.SevError, Site: d.code, Message: s.sentence(d.err)})
	}
	return out, errs
}
