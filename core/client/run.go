package client

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"opensms/core/detect"
	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/protocol"
	"opensms/core/share"
)

// Step is what a run is doing.
type Step string

// Run steps, in order.
const (
	StepDownload Step = "download" // Done/Total are bytes; Server is set
	StepVerify   Step = "verify"   // checking SHA-256 and size
	StepUnpack   Step = "unpack"   // Done is files unpacked, when known
	StepRun      Step = "run"      // Output holds the next piece of output
)

// Progress is a run's progress, reported through the callback given to Run.
// The callback runs on the engine's goroutine: keep it short (a window
// hands it to its UI goroutine and throttles redraws).
type Progress struct {
	Step   Step   `json:"step"`
	Done   int64  `json:"done"`
	Total  int64  `json:"total"`
	Server string `json:"server,omitempty"`
	Output string `json:"output,omitempty"`
}

// runFailure is why a run ended without running the command, and whether
// trying again later may help (every server unreachable) or not (the
// archive is not what was signed, it would unpack outside the cache).
type runFailure struct {
	msg       string
	transient bool
}

func (f *runFailure) Error() string { return f.msg }

// Run runs an offered job now, whatever its state: the user asked (the
// window's Run button, `smsctl pcm run JOBID`), so a job that already ran
// runs again. It downloads the archive from the first distribution server
// that answers (resuming a partial download, falling back to the next
// server), verifies its SHA-256 and size before unpacking, unpacks it into
// CacheDir/<PKG>/<SHA256>/ (kept for later runs), runs the command line
// from there with its time-out, maps the exit code, writes the status file
// (running at the start, the outcome at the end) and adds a history entry.
//
// The returned entry describes the run; the error is non-nil when the job
// did not complete (the entry then says why, as the status file does) or
// could not start (not enrolled, not offered, already running).
func (e *Engine) Run(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error) {
	return e.runJob(ctx, job, false, progress)
}

// RunDue runs every offer that is due (mandatory, its time come, not yet
// run in this generation), earliest first. With automatedOnly it leaves
// out command lines that need user input: the headless agent runs only
// automated ones, the window runs them all. It returns the entries of the
// runs it made and the errors of those that did not complete, joined.
func (e *Engine) RunDue(ctx context.Context, automatedOnly bool, progress func(job string, p Progress)) ([]HistoryEntry, error) {
	which := func(o Offer) bool { return !automatedOnly || !o.NeedsInput }
	return e.runDue(ctx, which, progress)
}

// Unattended reports whether an offer runs at its mandatory time with
// nobody at the window: an automated command line marked as a system
// background task (SMS's words). The agent runs those by itself; the
// others wait until a person's window counts them down, so that the
// person sees what is about to happen.
func Unattended(o Offer) bool { return !o.NeedsInput && o.Command.Background }

// runDue runs the due offers which picks, earliest due first.
func (e *Engine) runDue(ctx context.Context, which func(Offer) bool, progress func(job string, p Progress)) ([]HistoryEntry, error) {
	var hs []HistoryEntry
	var errs []error
	for _, o := range dueOffers(e.Offers(), which) {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		var pf func(Progress)
		if progress != nil {
			job := o.Job
			pf = func(p Progress) { progress(job, p) }
		}
		h, err := e.runJob(ctx, o.Job, true, pf)
		if errors.Is(err, ErrNotDue) || errors.Is(err, ErrRunning) {
			continue // something else ran it meanwhile
		}
		if !h.Started.IsZero() {
			hs = append(hs, h)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return hs, errors.Join(errs...)
}

// ErrNotDue: RunIfDue found the job no longer due (it ran meanwhile, or
// was deferred or withdrawn).
var ErrNotDue = errors.New("job is no longer due")

// RunIfDue runs an offered job only if it is due once the run lock is
// held: what a window's countdown runs when it ends, so that two windows
// counting the same job down run it once.
func (e *Engine) RunIfDue(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error) {
	return e.runJob(ctx, job, true, progress)
}

// runJob finds the offer, marks it running and runs it; with onlyDue it
// runs it only if it is still due once the run lock is held.
func (e *Engine) runJob(ctx context.Context, job string, onlyDue bool, progress func(Progress)) (HistoryEntry, error) {
	enr, ok := e.Enrolled()
	if !ok {
		return HistoryEntry{}, ErrNotEnrolled
	}
	e.mu.Lock()
	if e.running[job] {
		e.mu.Unlock()
		return HistoryEntry{}, fmt.Errorf("job %s: %w", job, ErrRunning)
	}
	e.running[job] = true
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.running, job)
		e.mu.Unlock()
	}()

	e.runMu.Lock()
	defer e.runMu.Unlock()
	// Look the offer up only now: while this run waited for another, the
	// offer may have expired, been withdrawn or (for RunDue) run.
	e.mu.Lock()
	delete(e.running, job)
	offers, _ := computeOffers(e.inputLocked())
	e.running[job] = true
	e.mu.Unlock()
	var offer *Offer
	for i := range offers {
		if offers[i].Job == job {
			offer = &offers[i]
		}
	}
	if offer == nil {
		return HistoryEntry{}, fmt.Errorf("job %s: %w", job, ErrNotOffered)
	}
	if onlyDue && offer.State != OfferDue {
		return HistoryEntry{}, fmt.Errorf("job %s: %w", job, ErrNotDue)
	}
	if err := e.leftoverGone(job); err != nil {
		return HistoryEntry{}, err
	}
	caller := progress
	progress = func(p Progress) {
		if caller != nil {
			caller(p)
		}
		e.publish(Event{Kind: EventProgress, Job: job, Progress: &p})
	}
	e.publishOffers() // it shows as running now
	h, err := e.run(ctx, enr, offer.Offer, offer.DueAt, progress)
	if !h.Started.IsZero() {
		e.publish(Event{Kind: EventFinished, Job: job, Result: &h})
	}
	return h, err
}

// run does one run of offer o, due at dueAt (zero: not mandatory). The run
// lock is held.
func (e *Engine) run(ctx context.Context, enr Enrollment, o protocol.Offer, dueAt time.Time, progress func(Progress)) (HistoryEntry, error) {
	rec := e.record(o.Job, o.Generation)
	rec.Generation = max(rec.Generation, o.Generation)
	rec.Attempts++
	h := HistoryEntry{
		Job:         o.Job,
		Package:     o.Package,
		PackageName: o.PackageName,
		Command:     o.Command.Name,
		Generation:  o.Generation,
		Started:     e.cfg.Now().UTC(),
	}
	st := protocol.Status{
		Format:     protocol.StatusFormat,
		Job:        o.Job,
		Computer:   enr.Computer,
		Generation: o.Generation,
		State:      model.TargetRunning,
		Attempts:   rec.Attempts,
		Started:    h.Started,
		Written:    h.Started,
	}
	before, hasRules := e.detect.Package(o.Detection, o.DetectionLogic)
	if hasRules && before.Outcome == detect.Holds && !o.Command.Removes {
		// Complete means installed, not "ran": nothing to download or run.
		e.log.Info("job already installed; nothing runs", "job", o.Job, "package", o.Package, "detection", before.Reason)
		h.State, h.AlreadyInstalled, h.Finished = model.TargetComplete, true, h.Started
		rec.State, rec.Ran = h.State, true
		st.State, st.AlreadyInstalled, st.Finished = h.State, true, h.Finished
		return e.finishRun(ctx, enr, o, rec, h, st)
	}
	e.log.Info("running job", "job", o.Job, "package", o.Package, "command", o.Command.Name, "generation", o.Generation)
	if err := e.report(ctx, enr, st); err != nil {
		e.log.Warn("running status not written", "job", o.Job, "err", err)
	}

	root, server, err := e.fetch(ctx, enr, o, progress)
	h.Server = server
	var res execResult
	if err == nil {
		mark := RunningCommand{Job: o.Job, Generation: o.Generation, Package: o.Package, PackageName: o.PackageName,
			Command: o.Command.Name, Started: h.Started, DueAt: dueAt.UTC(), Agent: os.Getpid(), Attempts: rec.Attempts}
		if perr := e.st.PutRunning(ctx, mark); perr != nil {
			// Unrecorded, a run that outlived this engine could start twice.
			err = &runFailure{msg: fmt.Sprintf("the command was not started: %v", perr), transient: true}
		} else {
			res = e.execute(ctx, enr, o, root, progress, func(pid int, proc string) {
				mark.PID, mark.Proc = pid, proc
				if err := e.st.PutRunning(context.WithoutCancel(ctx), mark); err != nil {
					e.log.Warn("the running command's process was not recorded", "job", o.Job, "pid", pid, "err", err)
				}
			})
			h.ExitCode, h.OutputTail = res.exit, res.tail
			err = res.err
		}
	}
	h.Finished = e.cfg.Now().UTC()
	// definite: the run has an outcome (good or bad) that running again
	// by itself would not change.
	var rf *runFailure
	definite := true
	switch {
	case err == nil:
		h.State, h.Reboot = mapExit(o.Command, *res.exit)
		if h.State != model.TargetComplete {
			h.Error = fmt.Sprintf("the command exited with code %d, which is not a success code", *res.exit)
		} else if hasRules {
			h.State, h.Error = afterRun(e.detect, o, *res.exit, h.Reboot)
		}
	case ctx.Err() != nil:
		// Stopped from outside (the user, or the agent shutting down): the
		// job has not had its chance, so it stays due.
		h.State, h.Error, definite = model.TargetRetrying, "interrupted before it finished: "+err.Error(), false
	case errors.As(err, &rf) && rf.transient:
		h.State, h.Error, definite = model.TargetRetrying, err.Error(), false
	default:
		h.State, h.Error = model.TargetFailed, err.Error()
	}
	// An interrupted re-run of a job that already ran keeps its earlier
	// outcome here, so that nothing runs it again by itself.
	if definite || !rec.Ran {
		rec.State = h.State
	}
	rec.Ran = rec.Ran || definite
	st.State, st.ExitCode, st.Reboot = h.State, h.ExitCode, h.Reboot
	st.Finished, st.OutputTail, st.Error = h.Finished, h.OutputTail, h.Error
	return e.finishRun(ctx, enr, o, rec, h, st)
}

// afterRun checks the detection rules after a command line exited with a
// success code: complete means installed. Rules that do not hold make the
// run failed, with the rule's sentence, unless the installer asked for a
// restart (it may finish then: the run stays complete and says so). Rules
// this computer cannot check leave the exit code's word standing.
func afterRun(ev *detect.Evaluator, o protocol.Offer, code int, reboot model.Reboot) (model.TargetState, string) {
	after, _ := ev.Package(o.Detection, o.DetectionLogic)
	if o.Command.Removes {
		// An uninstaller succeeded when the rules no longer hold.
		switch {
		case after.Outcome != detect.Holds:
			return model.TargetComplete, ""
		case reboot != model.RebootNone:
			return model.TargetComplete, fmt.Sprintf("the command exited with code %d (restart needed) and the package is still detected (%s); the restart should finish the removal", code, after.Reason)
		}
		return model.TargetFailed, fmt.Sprintf("the command exited with code %d, but the package is still installed: %s", code, after.Reason)
	}
	switch {
	case after.Outcome != detect.NotHeld:
		return model.TargetComplete, ""
	case reboot != model.RebootNone:
		return model.TargetComplete, fmt.Sprintf("the command exited with code %d (restart needed) and the detection rules do not hold yet (%s); the restart should finish the installation", code, after.Reason)
	}
	return model.TargetFailed, fmt.Sprintf("the command exited with code %d, but the package is not installed: %s", code, after.Reason)
}

// finishRun writes a run's outcome: the status file (kept pending when the
// share cannot be written), the run record, the history entry.
func (e *Engine) finishRun(ctx context.Context, enr Enrollment, o protocol.Offer, rec RunRecord, h HistoryEntry, st protocol.Status) (HistoryEntry, error) {
	st.Written = h.Finished

	// The outcome must reach the site even when ctx has ended.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if err := e.report(wctx, enr, st); err != nil {
		e.log.Warn("status not written; the next poll tries again", "job", o.Job, "err", err)
		rec.Pending = &st
	} else {
		rec.Pending = nil
	}
	if err := e.putRecord(wctx, rec); err != nil {
		e.log.Error("run record not saved", "job", o.Job, "err", err)
	}
	if err := e.st.AddHistory(wctx, h); err != nil {
		e.log.Error("history not saved", "job", o.Job, "err", err)
	}
	// The outcome is stored: the running mark, if the command started,
	// may go.
	if err := e.st.DeleteRunning(wctx, o.Job); err != nil {
		e.log.Error("running mark not cleared; the next start reports this run as interrupted", "job", o.Job, "err", err)
	}
	e.mu.Lock()
	e.last[o.Job] = h
	e.mu.Unlock()
	e.log.Info("job ran", "job", o.Job, "state", h.State, "exit", exitString(h.ExitCode), "reboot", h.Reboot, "already_installed", h.AlreadyInstalled, "err", h.Error)
	if h.State != model.TargetComplete {
		return h, fmt.Errorf("job %s %s: %s", o.Job, h.State, h.Error)
	}
	return h, nil
}

func exitString(c *int) string {
	if c == nil {
		return "-"
	}
	return fmt.Sprint(*c)
}

// mapExit maps an exit code with the command line's codes (empty lists
// mean the defaults: 0; 3010 soft reboot; 1641 hard reboot).
func mapExit(c model.CommandLine, code int) (model.TargetState, model.Reboot) {
	c.ApplyDefaults()
	switch {
	case slices.Contains(c.SuccessCodes, code):
		return model.TargetComplete, model.RebootNone
	case slices.Contains(c.SoftRebootCodes, code):
		return model.TargetComplete, model.RebootSoft
	case slices.Contains(c.HardRebootCodes, code):
		return model.TargetComplete, model.RebootHard
	}
	return model.TargetFailed, model.RebootNone
}

// unpacked is the marker written next to an unpacked package,
// CacheDir/<PKG>/<SHA256>.ok, once its archive was verified and unpacked
// completely. A folder without it is never used.
type unpacked struct {
	Archive  string           `json:"archive"`
	Size     int64            `json:"size"`
	Stats    pack.UnpackStats `json:"stats"`
	Unpacked time.Time        `json:"unpacked"`
	// Files is the tree as unpacked: before each run the tree must still
	// be exactly this, or it is unpacked again.
	Files []treeEntry `json:"files"`
}

// fetch makes sure the package is unpacked in the cache and returns its
// root and the server it came from ("" when the cache had it).
func (e *Engine) fetch(ctx context.Context, enr Enrollment, o protocol.Offer, progress func(Progress)) (string, string, error) {
	pkgDir := filepath.Join(e.cfg.CacheDir, o.Package)
	root := filepath.Join(pkgDir, o.Archive)
	marker := root + ".ok"
	if fi, err := os.Stat(root); err == nil && fi.IsDir() {
		// What runs must be what was verified: the tree is checked file
		// for file against the list signed when it was unpacked.
		err := checkUnpacked(root, marker, o.Archive, enr.Key.Public().(ed25519.PublicKey))
		if err == nil {
			e.log.Debug("package already unpacked", "job", o.Job, "dir", root)
			return root, "", nil
		}
		e.log.Warn("the unpacked copy of the package is not what was verified; unpacking it again", "job", o.Job, "dir", root, "why", err)
	}
	if err := os.MkdirAll(pkgDir, 0o700); err != nil {
		return "", "", fmt.Errorf("making the package cache %s: %w", pkgDir, err)
	}
	archive := filepath.Join(pkgDir, o.Archive+protocol.ArchiveExt)
	server := ""
	// An archive left complete by an earlier run (stopped before it was
	// unpacked) is used if it verifies.
	if pack.VerifyFile(archive, o.Archive, o.ArchiveSize) != nil {
		var err error
		if server, err = e.download(ctx, enr, o, archive, progress); err != nil {
			return "", "", err
		}
	}
	progress(Progress{Step: StepUnpack})
	tmp := root + ".tmp-" + randomToken()
	f, err := os.Open(archive)
	if err != nil {
		return "", server, fmt.Errorf("opening the downloaded archive: %w", err)
	}
	stats, err := pack.Unpack(ctx, f, tmp, pack.UnpackOptions{})
	f.Close()
	if err != nil {
		os.RemoveAll(tmp)
		if ctx.Err() != nil {
			return "", server, ctx.Err()
		}
		// The archive is what the administrator signed, but it would write
		// outside the cache or is damaged: no server has a better one.
		os.Remove(archive)
		return "", server, &runFailure{msg: fmt.Sprintf("refused to unpack package %s: %v", o.Package, err)}
	}
	if err := os.RemoveAll(root); err != nil {
		os.RemoveAll(tmp)
		return "", server, fmt.Errorf("clearing an old unpacked copy of %s: %w", o.Package, err)
	}
	if err := os.Rename(tmp, root); err != nil {
		os.RemoveAll(tmp)
		return "", server, fmt.Errorf("moving the unpacked package into place: %w", err)
	}
	files, err := listTree(root)
	if err == nil {
		err = writeMarker(marker, enr.Key, unpacked{Archive: o.Archive, Size: o.ArchiveSize, Stats: stats, Unpacked: e.cfg.Now().UTC(), Files: files})
	}
	if err != nil {
		return "", server, fmt.Errorf("marking the unpacked package: %w", err)
	}
	os.Remove(archive) // the unpacked tree is the cache from now on
	return root, server, nil
}

func randomToken() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// download fetches the archive into dst from the offer's servers, in the
// order given, and verifies it. It returns the server's name.
func (e *Engine) download(ctx context.Context, enr Enrollment, o protocol.Offer, dst string, progress func(Progress)) (string, error) {
	if len(o.Servers) == 0 {
		return "", &runFailure{msg: fmt.Sprintf("no distribution server holds package %s", o.Package)}
	}
	name, err := protocol.ArchivePath(o.Package, o.Archive)
	if err != nil {
		return "", &runFailure{msg: err.Error()}
	}
	var problems []string
	transient := true
	for _, srv := range o.Servers {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		err := e.downloadFrom(ctx, enr, o, srv, name, dst, progress)
		if err == nil {
			return srv.Name, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var rf *runFailure
		if errors.As(err, &rf) || share.IsPermanent(err) || errors.Is(err, fs.ErrNotExist) {
			transient = false // retrying later will not mend this server
		}
		e.log.Warn("download failed; trying the next server", "job", o.Job, "server", srv.Name, "err", err)
		problems = append(problems, srv.Name+": "+err.Error())
	}
	return "", &runFailure{
		msg:       fmt.Sprintf("could not get package %s from any server (%s)", o.Package, strings.Join(problems, "; ")),
		transient: transient,
	}
}

// downloadFrom fetches and verifies the archive from one server.
func (e *Engine) downloadFrom(ctx context.Context, enr Enrollment, o protocol.Offer, srv protocol.ServerRef, name, dst string, progress func(Progress)) error {
	fsys, err := e.openShare(ctx, srv.URL, enr.Credentials)
	if err != nil {
		return err
	}
	defer fsys.Close()
	// A copy of another size is not the signed archive: say so rather than
	// let the fetch fail as if the server might mend it.
	if fi, err := fsys.Stat(name); err == nil && fi.Size() != o.ArchiveSize {
		return &runFailure{msg: fmt.Sprintf("the archive on %s is %d bytes, not the signed %d, so nothing was unpacked", srv.Name, fi.Size(), o.ArchiveSize)}
	}
	d := Download{Package: o.Package, Archive: o.Archive, Size: o.ArchiveSize, Server: srv.Name}
	var saved time.Time
	onProgress := func(done, _ int64) {
		d.Done, d.Updated = done, e.cfg.Now()
		e.mu.Lock()
		e.downloads[o.Archive] = d
		e.mu.Unlock()
		progress(Progress{Step: StepDownload, Done: done, Total: o.ArchiveSize, Server: srv.Name})
		if time.Since(saved) > time.Second { // progress survives a restart, roughly
			saved = time.Now()
			if err := e.st.PutDownload(ctx, d); err != nil {
				e.log.Debug("download progress not saved", "err", err)
			}
		}
	}
	// The archive is hashed as it arrives, so that verifying it does not
	// read it again; the hash still decides before anything is unpacked.
	h := sha256.New()
	_, err = share.FetchWith(ctx, fsys, name, dst, o.ArchiveSize, share.FetchOptions{Progress: onProgress, Hash: h})
	if err != nil {
		return fmt.Errorf("fetching %s: %w", name, err)
	}
	progress(Progress{Step: StepVerify, Done: o.ArchiveSize, Total: o.ArchiveSize, Server: srv.Name})
	e.forgetDownload(ctx, o)
	if err := checkFetched(dst, hex.EncodeToString(h.Sum(nil)), o); err != nil {
		os.Remove(dst)
		return &runFailure{msg: fmt.Sprintf("the archive from %s does not match the signed hash, so nothing was unpacked: %v", srv.Name, err)}
	}
	return nil
}

// checkFetched compares a downloaded archive's digest, taken while it was
// written, and its size on disk with what the signed offer says.
func checkFetched(path, sum string, o protocol.Offer) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("cannot read archive %s: %w", path, err)
	}
	if fi.Size() != o.ArchiveSize {
		return fmt.Errorf("archive %s is %d bytes, the signed instructions say %d: %w", path, fi.Size(), o.ArchiveSize, pack.ErrMismatch)
	}
	if sum != o.Archive {
		return fmt.Errorf("archive %s has sha256 %s, the signed instructions say %s: %w", path, sum, o.Archive, pack.ErrMismatch)
	}
	return nil
}

func (e *Engine) forgetDownload(ctx context.Context, o protocol.Offer) {
	e.mu.Lock()
	delete(e.downloads, o.Archive)
	e.mu.Unlock()
	if err := e.st.DeleteDownload(ctx, o.Package, o.Archive); err != nil {
		e.log.Debug("download record not removed", "err", err)
	}
}

// Defer postpones a mandatory offer by Config.DeferFor ("Later" in the
// window) and returns how many deferrals are left. It returns
// ErrNoDeferralsLeft when they are spent, ErrNotMandatory for an offer
// without a mandatory time.
func (e *Engine) Defer(ctx context.Context, job string) (int, error) {
	o, ok := e.Offer(job)
	switch {
	case !ok:
		return 0, fmt.Errorf("job %s: %w", job, ErrNotOffered)
	case o.State == OfferRunning:
		return 0, fmt.Errorf("job %s: %w", job, ErrRunning)
	case !o.Mandatory || o.State == OfferComplete || o.State == OfferFailed:
		return 0, fmt.Errorf("job %s: %w", job, ErrNotMandatory)
	case o.DeferralsLeft <= 0:
		return 0, fmt.Errorf("job %s: %w", job, ErrNoDeferralsLeft)
	}
	rec := e.record(job, o.Generation)
	rec.DeferralsUsed++
	from := e.cfg.Now()
	if o.DueAt.After(from) {
		from = o.DueAt
	}
	rec.DeferredUntil = from.Add(e.Settings().DeferFor).UTC()
	if err := e.putRecord(ctx, rec); err != nil {
		return 0, err
	}
	e.log.Info("job deferred", "job", job, "until", rec.DeferredUntil, "left", o.DeferralsLeft-1)
	e.publishOffers()
	return o.DeferralsLeft - 1, nil
}
