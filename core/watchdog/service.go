// Package watchdog is OpenSMS's in-process service that does what SMS 1.2's
// Scheduler, Sender and Despooler did. Every cycle it activates due jobs,
// packs their packages (Send), pushes the archives to distribution servers
// (Distribute), writes signed instruction files for the target computers
// (Offer) and reads their status and inventory back (Collect). Progress and
// state changes go out to subscribers; the store stays the truth.
//
// A cycle runs at a time (RunOnce holds a mutex); Start runs one every
// Config.Interval and whenever Wake is called. The first cycle of a Service
// rescues the jobs a crash left in the middle of sending or distributing:
// they resume where they stopped, an interrupted push from the bytes already
// on the server.
//
// A Run Command job is offered as soon as one of its servers holds the
// archive; servers that fail stay Retrying (and the job with them) and join
// the offer when they catch up.
//
// Scale: at 10,000 computers a cycle is mostly share round trips. Collect
// lists status/ once per site share and reads only the files owed in the
// computer folders that changed; offer rewrites only the instruction files
// whose content changed, and keeps their digests on disk (Config.StateDir)
// so that a restart reads none back; the reads and writes that remain run
// Config.SiteConcurrency at a time.
//
// Job completion: a computer whose platform the job's command line does not
// run on is Not Applicable (never offered, never failed). A Run Command job
// whose target computers all have a final state is Complete when at least
// one has the package (it ran, or was installed already), with the rest
// counted in Status (succeeded / already installed / failed / not
// applicable); it is Failed when none has, or when it could not be carried
// out at all: its package or command line is gone, or it expired before the
// package reached its servers. RerunJob makes a finished job Active again
// for the computers chosen, under a new generation.
package watchdog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"opensms/core/model"
	"opensms/core/share"
)

// ErrFinished is wrapped by CancelJob when the job has already finished.
var ErrFinished = errors.New("job has finished")

// Service is the watchdog. Create it with New; its methods are safe for
// concurrent use.
type Service struct {
	st  model.Store
	op  share.Opener
	cfg Config
	log *slog.Logger

	cycleMu sync.Mutex // one cycle at a time
	cs      cycleState // guarded by cycleMu

	// jobMu orders job writes between the cycle and CancelJob/DeleteJob,
	// so that a cancel is never overwritten by a cycle that read the job
	// before it.
	jobMu sync.Mutex

	mu        sync.Mutex
	subs      map[int]chan Update
	nextSub   int
	transfers map[string]*Transfer          // job + "\x00" + server
	inflight  map[string]context.CancelFunc // job ID → stops its transfers
	next      time.Time
	stop      context.CancelFunc
	done      chan struct{}
	wake      chan struct{}
	secrets   []string // every site and server password, refreshed each cycle
}

// cycleState is what cycles remember between them. Losing it (a restart)
// costs a re-read, never a wrong result.
type cycleState struct {
	rescued bool
	// insDigest holds, per "site/COMPUTER", the digest of the instructions
	// last written or found on the share.
	insDigest map[string]string
	// insSaved is insDigest as kept on disk for the next run, with each
	// file's size and time (nil until loaded); insDirty says it changed.
	insSaved map[string]insRecord
	insDirty bool
	// insLastSeq holds, per "site/COMPUTER", the number of the last file
	// written, landed or not, so that no number is given twice.
	insLastSeq map[string]uint64
	// insShards holds, per "site/shard", what the last listing of a shard
	// folder of instruction files saw (nil until the first).
	insShards map[string]seenShard
	// siteInfo holds, per site, the content of site.json last written.
	siteInfo map[string]string
	// rules holds, per site, the digest of the rules file last written or
	// found on the share.
	rules map[string]string
	// invSeen holds, per "site/file", the size and time of the inventory
	// file last read.
	invSeen map[string]string
	// statusDirs holds, per "site/COMPUTER", what collect saw of the
	// computer's status folder.
	statusDirs map[string]seenFolder
	// lastErr holds the last error sentence per subject, so that a failure
	// repeating every cycle is logged as an event once.
	lastErr map[string]string
	// swept holds the sites whose share was swept of stale temporary files.
	swept map[string]bool
	// groups is what query group evaluation keeps between cycles.
	groups groupState
}

// New returns a watchdog over the store, opening shares with op. cfg is
// completed with Defaults; an invalid cfg makes Start and RunOnce fail.
func New(st model.Store, op share.Opener, cfg Config) *Service {
	cfg = cfg.Defaults(st.Dir())
	return &Service{
		st:        st,
		op:        op,
		cfg:       cfg,
		log:       cfg.Logger,
		subs:      map[int]chan Update{},
		transfers: map[string]*Transfer{},
		inflight:  map[string]context.CancelFunc{},
		wake:      make(chan struct{}, 1),
		cs: cycleState{
			insDigest:  map[string]string{},
			insLastSeq: map[string]uint64{},
			siteInfo:   map[string]string{},
			rules:      map[string]string{},
			invSeen:    map[string]string{},
			statusDirs: map[string]seenFolder{},
			lastErr:    map[string]string{},
			swept:      map[string]bool{},
		},
	}
}

// Config returns the configuration in use, defaults filled in.
func (s *Service) Config() Config { return s.cfg }

// Start runs a cycle now and then every Interval, and whenever Wake is
// called, until ctx ends or Stop is called. Starting a running service does
// nothing.
func (s *Service) Start(ctx context.Context) error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stop != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	s.stop, s.done = cancel, make(chan struct{})
	s.next = s.cfg.Now()
	go s.serve(ctx, s.done)
	return nil
}

// Stop ends the loop, interrupting the cycle in progress (an interrupted
// push resumes on the next start), and waits for it to end or for ctx.
// Stopping a stopped service does nothing.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	stop, done := s.stop, s.done
	s.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("stopping the watchdog: %w", ctx.Err())
	}
	s.mu.Lock()
	if s.done == done {
		s.stop, s.done, s.next = nil, nil, time.Time{}
	}
	s.mu.Unlock()
	return nil
}

func (s *Service) serve(ctx context.Context, done chan struct{}) {
	defer close(done)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-s.wake:
		}
		// Cycles start Interval apart (a long cycle shortens the pause
		// after it), and NextCycle says when the next one is due while
		// this one runs.
		next := time.Now().Add(s.cfg.Interval)
		s.mu.Lock()
		s.next = s.cfg.Now().Add(s.cfg.Interval)
		s.mu.Unlock()
		if err := s.RunOnce(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("watchdog cycle", "err", err)
		}
		timer.Reset(max(time.Until(next), 0))
	}
}

// Wake asks for a cycle now (after the one in progress, if any). It does
// nothing unless the service was started.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	s.mu.Lock()
	if s.stop != nil {
		s.next = s.cfg.Now()
	}
	s.mu.Unlock()
}

// NextCycle is when the next cycle is due; zero when the service is not
// running.
func (s *Service) NextCycle() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// Subscribe returns a channel of updates with room for buf of them, and a
// function that ends the subscription and closes the channel. Updates that
// find the channel full are dropped: a slow subscriber never slows the
// watchdog, and can always read the truth from the store.
func (s *Service) Subscribe(buf int) (<-chan Update, func()) {
	if buf < 1 {
		buf = 1
	}
	ch := make(chan Update, buf)
	s.mu.Lock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = ch
	s.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, id)
			s.mu.Unlock()
			close(ch)
		})
	}
}

// Publish hands u to every subscriber, as the watchdog's own updates are:
// the Administrator API announces what it changed in the store through it,
// so that one stream carries everything a window follows.
func (s *Service) Publish(u Update) { s.publish(u) }

func (s *Service) publish(u Update) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ch := range s.subs {
		select {
		case ch <- u:
		default:
		}
	}
}

// Transfers returns the pushes in flight, oldest first.
func (s *Service) Transfers() []Transfer {
	s.mu.Lock()
	out := make([]Transfer, 0, len(s.transfers))
	for _, t := range s.transfers {
		out = append(out, *t)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Started.Equal(out[j].Started) {
			return out[i].Started.Before(out[j].Started)
		}
		return out[i].Job+out[i].Server < out[j].Job+out[j].Server
	})
	return out
}

// CancelJob cancels a job that has not finished: it becomes Canceled at
// once, its transfers stop, and the next cycle withdraws it from the
// instruction files. A finished job is refused with an error wrapping
// ErrFinished.
func (s *Service) CancelJob(ctx context.Context, id string) error {
	s.jobMu.Lock()
	j, err := s.st.GetJob(ctx, id)
	if err != nil {
		s.jobMu.Unlock()
		return fmt.Errorf("canceling job %s: %w", id, err)
	}
	if j.Status.State.Final() {
		s.jobMu.Unlock()
		return fmt.Errorf("job %s is already %s: %w", id, j.Status.State, ErrFinished)
	}
	j.Cancel = true
	if err := j.Move(model.JobCanceled, s.cfg.Now()); err != nil {
		s.jobMu.Unlock()
		return err
	}
	err = s.st.UpdateJob(ctx, j)
	s.jobMu.Unlock()
	if err != nil {
		return fmt.Errorf("canceling job %s: %w", id, err)
	}
	s.mu.Lock()
	if stop := s.inflight[id]; stop != nil {
		stop()
	}
	s.mu.Unlock()
	s.publishJob(j)
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: id, Package: j.Package, Message: fmt.Sprintf("job %s canceled", id)})
	s.Wake()
	return nil
}

// ChangePendingJob stores j in place of the job of its ID while that job is
// still Pending, keeping its status, creation time and origin. The check
// and the write are one step against CancelJob and the cycle's own job
// writes, so an edit never lands on a job the cycle has just activated; a
// job that has moved on is refused with an error wrapping model.ErrInUse.
func (s *Service) ChangePendingJob(ctx context.Context, j model.Job) (model.Job, error) {
	s.jobMu.Lock()
	cur, err := s.st.GetJob(ctx, j.ID)
	if err != nil {
		s.jobMu.Unlock()
		return j, fmt.Errorf("changing job %s: %w", j.ID, err)
	}
	if st := cur.Status.State; st != model.JobPending && st != "" {
		s.jobMu.Unlock()
		return j, inUseError(fmt.Sprintf("job %s is %s now and can no longer be changed", j.ID, st))
	}
	j.Status, j.Created, j.RepeatOf = cur.Status, cur.Created, cur.RepeatOf
	j.Status.Edits++ // a cycle holding an older copy must not save it
	err = s.st.UpdateJob(ctx, j)
	s.jobMu.Unlock()
	if err != nil {
		return j, fmt.Errorf("changing job %s: %w", j.ID, err)
	}
	s.publishJob(j)
	s.Wake()
	return j, nil
}

// DeleteJob deletes a job that is Pending, or one that has finished. An
// active job must be canceled first: it may have offers out and transfers
// in flight. The refusal wraps model.ErrInUse.
func (s *Service) DeleteJob(ctx context.Context, id string) error {
	s.jobMu.Lock()
	j, err := s.st.GetJob(ctx, id)
	if err != nil {
		s.jobMu.Unlock()
		return fmt.Errorf("deleting job %s: %w", id, err)
	}
	if st := j.Status.State; st != model.JobPending && st != "" && !st.Final() {
		s.jobMu.Unlock()
		return inUseError(fmt.Sprintf("job %s is %s: cancel it before deleting it", id, st))
	}
	err = s.st.DeleteJob(ctx, id)
	s.jobMu.Unlock()
	if err != nil {
		return fmt.Errorf("deleting job %s: %w", id, err)
	}
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: id, Package: j.Package, Message: fmt.Sprintf("job %s deleted", id)})
	s.Wake()
	return nil
}

// errJobGone says a job was canceled, deleted, run again or changed while
// the cycle worked on it.
var errJobGone = errors.New("job was canceled, deleted, run again or changed")

// saveJob stores j unless the job was canceled, deleted, run again or
// changed (ChangePendingJob) since the cycle loaded it; then j is reloaded
// (or marked canceled) and errJobGone returned, and the cycle leaves the
// job alone until its next cycle, which starts from the stored job.
func (s *Service) saveJob(ctx context.Context, j *model.Job) error {
	s.jobMu.Lock()
	defer s.jobMu.Unlock()
	cur, err := s.st.GetJob(ctx, j.ID)
	switch {
	case errors.Is(err, model.ErrNotFound):
		j.Cancel = true
		return errJobGone
	case err != nil:
		return fmt.Errorf("reading job %s: %w", j.ID, err)
	case cur.Cancel && !j.Cancel, cur.Status.Reruns != j.Status.Reruns, cur.Status.Edits != j.Status.Edits:
		// Canceled, run again on some computers (RerunJob) or changed
		// while Pending: what this cycle concluded is out of date.
		*j = cur
		return errJobGone
	}
	j.Status.Updated = s.cfg.Now()
	if err := s.st.UpdateJob(ctx, *j); err != nil {
		return fmt.Errorf("saving job %s: %w", j.ID, err)
	}
	s.publishJob(*j)
	return nil
}

func (s *Service) publishJob(j model.Job) {
	s.publish(Update{Kind: UpdateJob, Job: &j})
}

// event appends e to the log, publishes it and logs it. Its message is
// scrubbed of every password the store knows, in case a lower layer ever
// echoed one.
func (s *Service) event(ctx context.Context, e model.Event) {
	e.Message = s.scrub(e.Message)
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	stored, err := s.st.AppendEvent(context.WithoutCancel(ctx), e)
	if err != nil {
		s.log.Error("writing event", "err", err, "message", e.Message)
		stored = e
	}
	s.announce(ctx, stored)
}

// announce publishes and logs an event stored (or not: the log said so).
func (s *Service) announce(ctx context.Context, e model.Event) {
	s.publish(Update{Kind: UpdateEvent, Event: &e})
	level := slog.LevelInfo
	switch e.Severity {
	case model.SevWarning:
		level = slog.LevelWarn
	case model.SevError:
		level = slog.LevelError
	}
	attrs := []any{}
	for _, kv := range [][2]string{{"job", e.Job}, {"package", e.Package}, {"server", e.Server}, {"computer", e.Computer}, {"site", e.Site}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	s.log.Log(ctx, level, e.Message, attrs...)
}

// eventOnce logs e unless the same message was the last one logged for key;
// a failure that repeats every cycle becomes one event, and a new event
// when it changes or clears.
func (s *Service) eventOnce(ctx context.Context, key string, e model.Event) {
	if s.cs.lastErr[key] == e.Message {
		return
	}
	s.cs.lastErr[key] = e.Message
	s.event(ctx, e)
}

// clearOnce forgets key's last error, so that the next failure is logged.
func (s *Service) clearOnce(key string) { delete(s.cs.lastErr, key) }

// scrub replaces any password of a site, server or package source in msg with a mask.
// model.Secret already masks itself; this guards against a library that
// puts a password into an error text some other way.
func (s *Service) scrub(msg string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.scrubLocked(msg)
}

// scrubLocked is scrub for callers that hold s.mu.
func (s *Service) scrubLocked(msg string) string {
	for _, p := range s.secrets {
		msg = strings.ReplaceAll(msg, p, "********")
	}
	return msg
}

// minScrubLen keeps scrub from masking every "a" of a message because some
// server has a one-letter password.
const minScrubLen = 4

// setSecrets remembers the passwords the cycle's world holds, for scrub.
func (s *Service) setSecrets(w *world) {
	var list []string
	add := func(c model.Credentials) {
		if p := c.Password.Reveal(); len(p) >= minScrubLen {
			list = append(list, p)
		}
	}
	for _, x := range w.sites {
		add(x.Credentials)
	}
	for _, x := range w.servers {
		add(x.Credentials)
	}
	for _, x := range w.packages {
		add(x.SourceCredentials)
	}
	s.mu.Lock()
	s.secrets = list
	s.mu.Unlock()
}

// sentence is err's text, scrubbed, for a LastError or an event.
func (s *Service) sentence(err error) string { return s.scrub(err.Error()) }

// inUseError is a refusal whose sentence is whole as it stands; it matches
// model.ErrInUse without adding "in use" to the text.
type inUseError string

func (e inUseError) Error() string { return string(e) }

// Unwrap makes errors.Is(err, model.ErrInUse) hold.
func (e inUseError) Unwrap() error { return model.ErrInUse }

// count says n things in words: "1 computer", "3 computers".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
