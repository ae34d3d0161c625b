package watchdog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// runJob is an active Run Command job with its per-computer status.
type runJob struct {
	job     *model.Job
	targets map[string]*model.TargetStatus // computer → status
	dirty   map[string]bool                // computers whose status needs storing
	unknown []string                       // names the target gives that are no known computer
}

func (rj *runJob) computers() []string {
	out := make([]string, 0, len(rj.targets))
	for c := range rj.targets {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// loadRuns reads the per-computer status of every active Run Command job
// and adds the computers its target names now (a site gains computers as
// they report inventory) in state None.
func (s *Service) loadRuns(ctx context.Context, w *world) ([]*runJob, error) {
	var runs []*runJob
	for _, j := range activeJobs(w.jobs) {
		if j.Type != model.JobRun {
			continue
		}
		list, err := s.st.ListTargetStatuses(ctx, j.ID)
		if err != nil {
			return nil, fmt.Errorf("reading the computers of job %s: %w", j.ID, err)
		}
		rj := &runJob{job: j, targets: map[string]*model.TargetStatus{}, dirty: map[string]bool{}}
		for i := range list {
			rj.targets[model.NormalizeComputerName(list[i].Computer)] = &list[i]
		}
		s.addTargets(ctx, w, rj)
		runs = append(runs, rj)
	}
	return runs, nil
}

// addTargets adds the computers the job's target names now and the job
// does not have yet, in state None; a computer that left the target keeps
// its status (and what it ran).
func (s *Service) addTargets(ctx context.Context, w *world, rj *runJob) {
	j := rj.job
	known, unknown := w.targetComputers(j.Target)
	for _, c := range known {
		if _, ok := rj.targets[c]; !ok {
			rj.targets[c] = &model.TargetStatus{Job: j.ID, Computer: c, State: model.TargetNone, Updated: w.now, Joined: w.now}
			rj.dirty[c] = true
		}
	}
	rj.unknown = unknown
	s.applicability(ctx, w, rj)
}

// applicability marks Not Applicable the computers not yet offered the job
// whose platform no platform of its command line covers: they are not
// offered it and not counted failed. A computer whose platform is not
// known yet stays, for its client to decide.
func (s *Service) applicability(ctx context.Context, w *world, rj *runJob) {
	j := rj.job
	pkg := w.packages[j.Package]
	cmd, ok := pkg.Command(j.Run.Command)
	if !ok {
		return // the offer says so
	}
	n := 0
	for c, ts := range rj.targets {
		p := w.computers[c].Platform
		if ts.State != model.TargetNone && ts.State != "" || p == "" || cmd.RunsOn(p) {
			continue
		}
		if ts.Move(model.TargetNotApplicable, w.now) == nil {
			ts.LastError = fmt.Sprintf("%s is %s, and command line %q runs on %s", c, p, cmd.Name, cmd.PlatformText())
			rj.dirty[c] = true
			n++
		}
	}
	if n > 0 {
		s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: j.Package,
			Message: fmt.Sprintf("job %s is not applicable on %s: command line %q runs on %s", j.ID, count(n, "computer"), cmd.Name, cmd.PlatformText())})
	}
}

// flush stores the computers' status that changed.
func (s *Service) flush(ctx context.Context, rj *runJob) error {
	if len(rj.dirty) == 0 {
		return nil
	}
	batch := make([]model.TargetStatus, 0, len(rj.dirty))
	for c := range rj.dirty {
		batch = append(batch, *rj.targets[c])
	}
	if err := s.st.PutTargetStatuses(ctx, batch...); err != nil {
		return fmt.Errorf("storing the computers of job %s: %w", rj.job.ID, err)
	}
	clear(rj.dirty)
	return nil
}

// collect reads inventory from every site share, and the status files of
// the computers that still owe an active job a result.
//
// At 10,000 computers opening one status file per computer and job is
// most of a cycle, so collect lists status/ once per site share and reads
// only the files owed in the computer folders that changed since it last
// looked; what it saw is kept in cycleState (a restart reads everything
// owed once). Clients write atomically (a temporary name, then a rename),
// which changes the folder's time. A folder is trusted unchanged only after
// two looks at the same time, so that a write within the clock tick of the
// first look is not missed, and its files are read again after
// statusRecheck in any case.
func (s *Service) collect(ctx context.Context, w *world, runs []*runJob, shares map[string]share.FS) []error {
	var errs []error
	for _, code := range w.siteCodes {
		if fsys, ok := shares[code]; ok {
			if err := s.collectInventory(ctx, w, code, fsys); err != nil {
				errs = append(errs, err)
			}
		}
	}
	errs = append(errs, s.collectStatuses(ctx, w, runs, shares)...)
	failed := s.flushRuns(ctx, runs)
	for _, rj := range runs {
		if err := failed[rj]; err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// flushRuns stores the computers' status that changed in every run, in
// one batch: a first cycle changes 12,000 of them across 100 jobs, and a
// batch per job was a synced write each. When the batch fails (a job was
// deleted meanwhile), each job is stored on its own, so that one job does
// not hold back the others; it returns the runs that failed and why.
func (s *Service) flushRuns(ctx context.Context, runs []*runJob) (failed map[*runJob]error) {
	var batch []model.TargetStatus
	for _, rj := range runs {
		for c := range rj.dirty {
			batch = append(batch, *rj.targets[c])
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.st.PutTargetStatuses(ctx, batch...); err == nil {
		for _, rj := range runs {
			clear(rj.dirty)
		}
		return nil
	}
	for _, rj := range runs {
		if err := s.flush(ctx, rj); err != nil {
			if failed == nil {
				failed = map[*runJob]error{}
			}
			failed[rj] = err
		}
	}
	return failed
}

// statusRecheck is how long a status folder is trusted unchanged before its
// files are read again anyway: a safety net for a writer that replaces a
// file in place, or a share whose folders keep their time when a file in
// them changes.
const statusRecheck = 10 * time.Minute

// seenFolder is what collect saw of a computer's status folder.
type seenFolder struct {
	mtime     int64     // the folder's modification time, as listed
	confirmed bool      // seen twice with that time: trusted unchanged
	read      time.Time // when its files were last read
	jobs      string    // ",JOB,JOB,": the jobs owed when they were read
}

// owed is one computer's part of a job that still waits for a result.
type owed struct {
	rj *runJob
	ts *model.TargetStatus
}

// statusFolder is a computer's status folder whose files are to be read.
type statusFolder struct {
	site, key string
	seen      seenFolder
	failed    bool // a file in it could not be read: look again next cycle
}

// statusRead is one status file to read.
type statusRead struct {
	folder *statusFolder
	name   string
	o      owed
	data   []byte
	err    error
}

// collectStatuses finds and applies the status files of the computers
// that owe a distributed job a result.
func (s *Service) collectStatuses(ctx context.Context, w *world, runs []*runJob, shares map[string]share.FS) []error {
	want := map[string]map[string][]owed{} // site → computer → owed, in run order
	for _, rj := range runs {
		if !distributed(rj.job) {
			continue // nothing was offered yet
		}
		for _, c := range rj.computers() {
			ts := rj.targets[c]
			if ts.State.Final() {
				continue
			}
			site := w.computers[c].Site
			if _, ok := shares[site]; !ok {
				continue
			}
			if want[site] == nil {
				want[site] = map[string][]owed{}
			}
			want[site][c] = append(want[site][c], owed{rj, ts})
		}
	}
	now := s.cfg.Now()
	var errs []error

	// One listing of status/ per site share says which folders changed.
	var folders []*statusFolder
	var reads []*statusRead
	for _, code := range w.siteCodes {
		if len(want[code]) == 0 {
			continue
		}
		list, err := shares[code].ReadDir(protocol.StatusDir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			err = fmt.Errorf("site %s: listing %s: %w", code, protocol.StatusDir, err)
			s.eventOnce(ctx, "statusdir/"+code, model.Event{Severity: model.SevError, Site: code, Message: s.sentence(err)})
			errs = append(errs, err)
			continue
		}
		s.clearOnce("statusdir/" + code)
		for _, fi := range list {
			if !fi.IsDir() || share.IsTemp(fi.Name()) {
				continue
			}
			c := model.NormalizeComputerName(fi.Name())
			owing := want[code][c]
			if len(owing) == 0 {
				continue
			}
			key := code + "/" + c
			mtime := fi.ModTime().UnixNano()
			prev, known := s.cs.statusDirs[key]
			if known && prev.mtime == mtime && prev.confirmed && now.Sub(prev.read) < statusRecheck && owesOnly(prev.jobs, owing) {
				continue
			}
			f := &statusFolder{site: code, key: key, seen: seenFolder{mtime: mtime, confirmed: known && prev.mtime == mtime, read: now, jobs: ","}}
			folders = append(folders, f)
			for _, o := range owing {
				f.seen.jobs += o.rj.job.ID + ","
				name, err := protocol.StatusPath(c, o.rj.job.ID)
				if err != nil {
					continue
				}
				reads = append(reads, &statusRead{folder: f, name: path.Join(protocol.StatusDir, fi.Name(), path.Base(name)), o: o})
			}
		}
	}

	// Read the owed files a few at a time per share; apply them in the
	// order of the jobs and computers, so that events read in order.
	s.perShare(ctx, w, shares, len(reads), func(i int) string { return reads[i].folder.site }, func(ctx context.Context, fsys share.FS, i int) {
		r := reads[i]
		r.data, r.err = share.ReadSmallFile(fsys, r.name, protocol.MaxPlainSize)
	})
	if err := ctx.Err(); err != nil {
		return append(errs, err) // nothing remembered: the next cycle reads it all
	}
	order := make(map[*runJob]int, len(runs))
	for i, rj := range runs {
		order[rj] = i
	}
	sort.SliceStable(reads, func(a, b int) bool {
		if ra, rb := order[reads[a].o.rj], order[reads[b].o.rj]; ra != rb {
			return ra < rb
		}
		return reads[a].o.ts.Computer < reads[b].o.ts.Computer
	})
	var evs eventBatch
	for _, r := range reads {
		if errors.Is(r.err, fs.ErrNotExist) {
			continue // not reported yet
		}
		if r.err != nil {
			r.folder.failed = true
		}
		s.applyStatusFile(ctx, w, r, &evs)
	}
	s.flushEvents(ctx, &evs)
	for _, f := range folders {
		if f.failed {
			delete(s.cs.statusDirs, f.key)
			continue
		}
		s.cs.statusDirs[f.key] = f.seen
	}
	return errs
}

// perShare runs fn(ctx, fsys, i) for every i in [0, n), the items of each
// site share (site(i) names it) through fanOut, the shares side by side.
func (s *Service) perShare(ctx context.Context, w *world, shares map[string]share.FS, n int, site func(i int) string, fn func(ctx context.Context, fsys share.FS, i int)) {
	bySite := map[string][]int{}
	for i := range n {
		bySite[site(i)] = append(bySite[site(i)], i)
	}
	var wg sync.WaitGroup
	for code, items := range bySite {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.fanOut(ctx, w, code, shares[code], len(items), func(ctx context.Context, fsys share.FS, k int) { fn(ctx, fsys, items[k]) })
		}()
	}
	wg.Wait()
}

// opsPerSession is how many operations of one batch make another session
// to a site share worth its log-on.
const opsPerSession = 200

// fanOut runs fn(ctx, fsys, i) for every i in [0, n), SiteConcurrency at
// once, on the site's share fsys and, for a big batch, on up to
// SiteSessions-1 more sessions to the same share, closed at the end. A
// Samba server answers each session with one single-threaded process: more
// sessions use more of its cores. A session that cannot be opened is done
// without (the batch runs on those there are).
func (s *Service) fanOut(ctx context.Context, w *world, code string, fsys share.FS, n int, fn func(ctx context.Context, fsys share.FS, i int)) {
	sessions := []share.FS{fsys}
	if want := min(s.cfg.SiteSessions, 1+n/opsPerSession); want > 1 {
		site := w.sites[code]
		if loc, err := model.ParseLocation(site.Share); err == nil {
			extra := make([]share.FS, want-1)
			_ = share.Parallel(ctx, len(extra), len(extra), func(ctx context.Context, i int) {
				if f, err := s.op.Open(ctx, loc, site.Credentials); err == nil {
					extra[i] = f
				} else {
					s.log.Debug("opening another session to a site share", "site", code, "err", s.sentence(err))
				}
			})
			for _, f := range extra {
				if f != nil {
					sessions = append(sessions, f)
					defer f.Close()
				}
			}
		}
	}
	_ = share.Parallel(ctx, s.cfg.SiteConcurrency, n, func(ctx context.Context, i int) { fn(ctx, sessions[i%len(sessions)], i) })
}

// owesOnly reports whether every job in owing was owed when the folder was
// last listed (jobs is ",JOB,JOB,"): a job offered since may have a file
// the last listing did not look for.
func owesOnly(jobs string, owing []owed) bool {
	for _, o := range owing {
		if !strings.Contains(jobs, ","+o.rj.job.ID+",") {
			return false
		}
	}
	return true
}

// applyStatusFile decodes a status file read by collectStatuses and
// applies it, or says once why it cannot be used.
func (s *Service) applyStatusFile(ctx context.Context, w *world, r *statusRead, evs *eventBatch) {
	rj, ts := r.o.rj, r.o.ts
	j := rj.job
	key := "status/" + j.ID + "/" + ts.Computer
	err := r.err
	pub := w.computers[ts.Computer].PublicKey
	if err == nil && len(pub) != ed25519.PublicKeySize {
		// The client sends its inventory, and with it its key, before it
		// polls; a status from a computer whose key the site has not seen
		// was written by someone else.
		err = fmt.Errorf("no key is registered for %s yet, so its status cannot be checked", ts.Computer)
	}
	if err == nil {
		var st protocol.Status
		if st, err = protocol.DecodeStatus(ed25519.PublicKey(pub), r.data); err == nil {
			if st.Job != j.ID || model.NormalizeComputerName(st.Computer) != ts.Computer {
				err = fmt.Errorf("it is for job %s on %s", st.Job, st.Computer)
			} else {
				s.clearOnce(key)
				s.applyStatus(rj, ts, st, evs)
				return
			}
		}
	}
	sev := model.SevWarning
	if errors.Is(err, protocol.ErrUnsigned) || errors.Is(err, protocol.ErrWrongKey) || errors.Is(err, protocol.ErrBadSignature) {
		sev = model.SevError // someone wrote it for the computer: a forgery, or a client set up again
	}
	s.addEventOnce(evs, key, model.Event{Severity: sev, Job: j.ID, Package: j.Package, Computer: ts.Computer,
		Message: fmt.Sprintf("job %s: the status file %s of %s cannot be used: %s", j.ID, r.name, ts.Computer, s.sentence(err))})
}

// applyStatus moves a computer's part of a job to what its client reported.
// Its event goes into evs.
func (s *Service) applyStatus(rj *runJob, ts *model.TargetStatus, st protocol.Status, evs *eventBatch) {
	j := rj.job
	// What a client wrote reaches the store, events and terminals only
	// without control characters (escape sequences could fake log lines).
	st.Error = model.CleanLine(st.Error)
	tail := ""
	if st.State == model.TargetFailed || st.State == model.TargetRetrying {
		tail = model.LastLines(model.CleanText(st.OutputTail), model.OutputTailLines)
	}
	if st.State == ts.State && st.Attempts == ts.Attempts && st.Reboot == ts.Reboot && st.Error == ts.LastError && sameCode(st.ExitCode, ts.ExitCode) && st.AlreadyInstalled == ts.AlreadyInstalled {
		return
	}
	if st.State == model.TargetNone || st.Generation < ts.Gen() {
		return // nothing yet, or the result of a run before the job was run again
	}
	now := s.cfg.Now()
	next := *ts
	if next.State == model.TargetNone || next.State == "" {
		// The client saw the offer before this store recorded it (a crash
		// between writing the instructions and storing the state).
		_ = next.Move(model.TargetOffered, now)
	}
	if err := next.Move(st.State, now); err != nil {
		s.log.Warn("ignoring a status", "job", j.ID, "computer", ts.Computer, "err", err)
		return
	}
	next.ExitCode, next.Reboot, next.Attempts, next.LastError = st.ExitCode, st.Reboot, st.Attempts, st.Error
	next.OutputTail = tail
	next.AlreadyInstalled = st.AlreadyInstalled && st.State == model.TargetComplete
	next.Updated, next.NextAction = now, time.Time{}
	*ts = next
	rj.dirty[ts.Computer] = true

	pkg := j.Package
	cmd := j.Run.Command
	code := "no exit code"
	if st.ExitCode != nil {
		code = fmt.Sprintf("exit code %d", *st.ExitCode)
	}
	e := model.Event{Job: j.ID, Package: pkg, Computer: ts.Computer}
	switch st.State {
	case model.TargetComplete:
		e.Severity = model.SevInfo
		e.Message = fmt.Sprintf("%s ran job %s (%s of %s): complete, %s", ts.Computer, j.ID, cmd, pkg, code)
		if next.AlreadyInstalled {
			e.Message = fmt.Sprintf("%s did not run job %s (%s of %s): complete, already installed", ts.Computer, j.ID, cmd, pkg)
		}
		switch st.Reboot {
		case model.RebootSoft:
			e.Message += "; it needs a restart"
		case model.RebootHard:
			e.Message += "; it is restarting"
		}
	case model.TargetFailed:
		e.Severity = model.SevWarning
		e.Message = fmt.Sprintf("%s ran job %s (%s of %s): failed, %s", ts.Computer, j.ID, cmd, pkg, code)
	case model.TargetRetrying:
		e.Severity = model.SevWarning
		e.Message = fmt.Sprintf("%s will try job %s (%s of %s) again after attempt %d, %s", ts.Computer, j.ID, cmd, pkg, st.Attempts, code)
	default:
		return // Running and Offered are progress, not results
	}
	if st.Error != "" {
		e.Message += ": " + st.Error
	}
	s.addEvent(evs, e)
}

func sameCode(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// collectInventory reads inventory/*.json from a site share into the
// store: a computer's last-seen time, inventory and platform, and a new
// computer for a name the site does not know yet. A file is read again
// only when its size or time changes.
func (s *Service) collectInventory(ctx context.Context, w *world, site string, fsys share.FS) error {
	list, err := fsys.ReadDir(protocol.InventoryDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("site %s: listing %s: %w", site, protocol.InventoryDir, err)
	}
	var batch, registered []model.Computer
	var joined []string
	for _, fi := range list {
		name := fi.Name()
		if fi.IsDir() || share.IsTemp(name) || !strings.HasSuffix(name, ".json") {
			continue
		}
		key := site + "/" + name
		stamp := fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
		if s.cs.invSeen[key] == stamp {
			continue
		}
		file := path.Join(protocol.InventoryDir, name)
		data, err := share.ReadFile(fsys, file, protocol.MaxPlainSize)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				s.eventOnce(ctx, "inventory/"+key, model.Event{Severity: model.SevWarning, Site: site,
					Message: fmt.Sprintf("site %s: reading %s: %s", site, file, s.sentence(err))})
			}
			continue
		}
		s.cs.invSeen[key] = stamp
		c, change, err := inventoryComputer(w, site, strings.TrimSuffix(name, ".json"), data, s.cfg.Now())
		if err != nil {
			sev := model.SevWarning
			if errors.Is(err, errOtherKey) || errors.Is(err, protocol.ErrUnsigned) || errors.Is(err, protocol.ErrBadSignature) {
				sev = model.SevError
			}
			s.eventOnce(ctx, "inventory/"+key, model.Event{Severity: sev, Site: site, Computer: model.NormalizeComputerName(strings.TrimSuffix(name, ".json")),
				Message: fmt.Sprintf("site %s: %s cannot be used: %s", site, file, s.sentence(err))})
			continue
		}
		s.clearOnce("inventory/" + key)
		if c == nil {
			continue
		}
		batch = append(batch, *c)
		w.computers[c.Name] = *c
		switch change {
		case invJoined:
			joined = append(joined, c.Name)
			w.bySite[site] = append(w.bySite[site], c.Name)
			sort.Strings(w.bySite[site])
		case invKeyRegistered:
			registered = append(registered, *c)
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.st.PutComputers(ctx, batch...); err != nil {
		return fmt.Errorf("site %s: storing inventory: %w", site, err)
	}
	for _, c := range joined {
		s.event(ctx, model.Event{Severity: model.SevWarning, Site: site, Computer: c,
			Message: fmt.Sprintf("computer %s asks to join site %s with key %s: it gets no offers until an administrator approves it (smsctl computer approve %s)",
				c, site, protocol.Fingerprint(w.computers[c].PublicKey), c)})
		// Open windows list it awaiting approval as they show an
		// administrator's change; the event alone left the Sites tree
		// without it until Refresh.
		s.publish(Update{Kind: UpdateComputer, Record: &Record{ID: c}})
	}
	for _, c := range registered {
		s.event(ctx, model.Event{Severity: model.SevInfo, Site: site, Computer: c.Name,
			Message: fmt.Sprintf("computer %s registered its key %s: its status and inventory are taken only under that key from now on", c.Name, protocol.Fingerprint(c.PublicKey))})
	}
	return nil
}

// inventoryComputer decodes an inventory file and returns the computer
// updated from it, or nil when it holds nothing newer than the store. The
// file must be signed by the key registered for the computer; a computer
// without one registers the key the file carries (trust on first use),
// and a computer the administrator did not add joins awaiting approval.
// A time ahead of now counts as now, so that a clock in 2099 cannot freeze
// the computer's inventory.
func inventoryComputer(w *world, site, fileName string, data []byte, now time.Time) (c *model.Computer, change invChange, err error) {
	inv, err := protocol.DecodeInventory(data)
	if err != nil {
		return nil, 0, err
	}
	name := model.NormalizeComputerName(inv.Computer)
	if name != model.NormalizeComputerName(fileName) {
		return nil, 0, fmt.Errorf("it is the inventory of %s", name)
	}
	cur, known := w.computers[name]
	switch {
	case !known:
		cur = model.Computer{Name: name, Site: site, PublicKey: inv.PublicKey, AwaitingApproval: true}
		change = invJoined
	case len(cur.PublicKey) == 0:
		cur.PublicKey = inv.PublicKey
		change = invKeyRegistered
	case !bytes.Equal(cur.PublicKey, inv.PublicKey):
		return nil, 0, fmt.Errorf("%w: it is signed by key %s, but %s is registered under key %s; if that computer was set up again, remove it and add it again (its next inventory registers the new key)",
			errOtherKey, protocol.Fingerprint(inv.PublicKey), name, protocol.Fingerprint(cur.PublicKey))
	}
	seen := inv.Time
	if seen.IsZero() || seen.After(now) {
		seen = now
	}
	if change == 0 && cur.Inventory != nil && !seen.After(cur.LastSeen) {
		return nil, 0, nil
	}
	cur.LastSeen = seen
	i := inv.Inventory
	i.Computer = name
	i.CleanReported()
	i.Time = seen
	cur.Inventory = &i
	if p := model.Platform(inv.OS + "/" + inv.Arch); slices.Contains(model.Platforms, p) {
		cur.Platform = p
	}
	if err := cur.Validate(); err != nil {
		return nil, 0, err
	}
	return &cur, change, nil
}

// invChange is what an inventory file changed besides the inventory.
type invChange int

const (
	invJoined        invChange = iota + 1 // a computer the site did not know
	invKeyRegistered                      // a known computer's first key
)

// errOtherKey: an inventory signed by another key than the computer's.
var errOtherKey = errors.New("signed by another key")
