package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
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
		known, unknown := w.targetComputers(j.Target)
		for _, c := range known {
			if _, ok := rj.targets[c]; !ok {
				rj.targets[c] = &model.TargetStatus{Job: j.ID, Computer: c, State: model.TargetNone, Updated: w.now}
				rj.dirty[c] = true
			}
		}
		rj.unknown = unknown
		runs = append(runs, rj)
	}
	return runs, nil
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
func (s *Service) collect(ctx context.Context, w *world, runs []*runJob, shares map[string]share.FS) []error {
	var errs []error
	for _, code := range w.siteCodes {
		if fsys, ok := shares[code]; ok {
			if err := s.collectInventory(ctx, w, code, fsys); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, rj := range runs {
		if !distributed(rj.job) {
			continue // nothing was offered yet
		}
		for _, c := range rj.computers() {
			ts := rj.targets[c]
			if ts.State.Final() {
				continue
			}
			if fsys, ok := shares[w.computers[c].Site]; ok {
				s.collectStatus(ctx, rj, ts, fsys)
			}
		}
		if err := s.flush(ctx, rj); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// collectStatus reads status/<COMPUTER>/<JOB>.json and applies it.
func (s *Service) collectStatus(ctx context.Context, rj *runJob, ts *model.TargetStatus, fsys share.FS) {
	j := rj.job
	key := "status/" + j.ID + "/" + ts.Computer
	name, err := protocol.StatusPath(ts.Computer, j.ID)
	if err != nil {
		return
	}
	data, err := share.ReadFile(fsys, name, protocol.MaxPlainSize)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err == nil {
		var st protocol.Status
		if st, err = protocol.DecodeStatus(data); err == nil {
			if st.Job != j.ID || st.Computer != ts.Computer {
				err = fmt.Errorf("it is for job %s on %s", st.Job, st.Computer)
			} else {
				s.clearOnce(key)
				s.applyStatus(ctx, rj, ts, st)
				return
			}
		}
	}
	s.eventOnce(ctx, key, model.Event{Severity: model.SevWarning, Job: j.ID, Package: j.Package, Computer: ts.Computer,
		Message: fmt.Sprintf("job %s: the status file %s of %s cannot be used: %s", j.ID, name, ts.Computer, s.sentence(err))})
}

// applyStatus moves a computer's part of a job to what its client reported.
func (s *Service) applyStatus(ctx context.Context, rj *runJob, ts *model.TargetStatus, st protocol.Status) {
	j := rj.job
	if st.State == ts.State && st.Attempts == ts.Attempts && st.Reboot == ts.Reboot && st.Error == ts.LastError && sameCode(st.ExitCode, ts.ExitCode) {
		return
	}
	if st.State == model.TargetNone {
		return
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
	s.event(ctx, e)
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
	var batch []model.Computer
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
		c, isNew, err := inventoryComputer(w, site, strings.TrimSuffix(name, ".json"), data, s.cfg.Now())
		if err != nil {
			s.eventOnce(ctx, "inventory/"+key, model.Event{Severity: model.SevWarning, Site: site,
				Message: fmt.Sprintf("site %s: %s cannot be used: %s", site, file, s.sentence(err))})
			continue
		}
		if c == nil {
			continue
		}
		batch = append(batch, *c)
		w.computers[c.Name] = *c
		if isNew {
			joined = append(joined, c.Name)
			w.bySite[site] = append(w.bySite[site], c.Name)
			sort.Strings(w.bySite[site])
		}
	}
	if len(batch) == 0 {
		return nil
	}
	if err := s.st.PutComputers(ctx, batch...); err != nil {
		return fmt.Errorf("site %s: storing inventory: %w", site, err)
	}
	for _, c := range joined {
		s.event(ctx, model.Event{Severity: model.SevInfo, Site: site, Computer: c,
			Message: fmt.Sprintf("computer %s joined site %s: it reported its inventory", c, site)})
	}
	return nil
}

// inventoryComputer decodes an inventory file and returns the computer
// updated from it, or nil when it holds nothing newer than the store.
func inventoryComputer(w *world, site, fileName string, data []byte, now time.Time) (*model.Computer, bool, error) {
	inv, err := protocol.DecodeInventory(data)
	if err != nil {
		return nil, false, err
	}
	name := model.NormalizeComputerName(inv.Computer)
	if name != model.NormalizeComputerName(fileName) {
		return nil, false, fmt.Errorf("it is the inventory of %s", name)
	}
	c, known := w.computers[name]
	if !known {
		c = model.Computer{Name: name, Site: site}
	} else if c.Inventory != nil && !inv.Time.After(c.LastSeen) {
		return nil, false, nil
	}
	c.LastSeen = inv.Time
	if c.LastSeen.IsZero() {
		c.LastSeen = now
	}
	i := inv.Inventory
	i.Computer = name
	c.Inventory = &i
	if p := model.Platform(inv.OS + "/" + inv.Arch); slices.Contains(model.Platforms, p) {
		c.Platform = p
	}
	if err := c.Validate(); err != nil {
		return nil, false, err
	}
	return &c, !known, nil
}
