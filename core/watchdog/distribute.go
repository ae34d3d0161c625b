package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// serverOp is what a job does on each of its distribution servers: push the
// archive, copy the tree, or remove the package.
type serverOp struct {
	// verb begins the error sentence: "pushing archive … to".
	verb string
	// total is the bytes to move, when known in advance (0 otherwise).
	total int64
	// transfers says whether the op shows up in Transfers.
	transfers bool
	// run does the work on a connected share.
	run func(ctx context.Context, fsys share.FS, srv model.Server, progress func(done, total int64)) (opResult, error)
	// after records a success in the store.
	after func(ctx context.Context, srv model.Server) error
}

// opResult is what one server's op did.
type opResult struct {
	summary string // for the event, after "job X: "
	resumed int64  // bytes kept from an interrupted copy
	written int64  // bytes written this time
}

// distribute runs op on each of the job's servers that has not done it
// yet, Concurrency at a time. Each server that fails is Retrying with a
// sentence naming it, and the job is Retrying; the next cycle tries those
// servers again. It reports whether every server is done.
func (s *Service) distribute(ctx context.Context, w *world, j *model.Job, op serverOp, opErr error) bool {
	if opErr != nil {
		j.Status.Working = model.PhaseRetrying
		s.retry(ctx, j, "job/"+j.ID, model.Event{Message: fmt.Sprintf("job %s: %s", j.ID, s.sentence(opErr))})
		return false
	}
	servers, err := w.jobServers(j)
	if err != nil {
		j.Status.Working = model.PhaseRetrying
		s.retry(ctx, j, "job/"+j.ID, model.Event{Message: fmt.Sprintf("job %s: %s", j.ID, s.sentence(err))})
		return false
	}
	if j.Status.Servers == nil {
		j.Status.Servers = map[string]model.ServerStatus{}
	}
	now := s.cfg.Now()
	var todo []model.Server
	for _, srv := range servers {
		k := serverKey(srv)
		ss := j.Status.Servers[k]
		if ss.State == model.PhaseComplete {
			continue
		}
		ss.Server, ss.State, ss.Updated = k, model.PhaseActive, now
		ss.Attempts++
		ss.BytesTotal = op.total
		j.Status.Servers[k] = ss
		todo = append(todo, srv)
	}
	if len(todo) == 0 && j.Status.Working == model.PhaseComplete {
		return true
	}
	if len(todo) > 0 {
		j.Status.Working = model.PhaseActive
		if err := s.saveJob(ctx, j); err != nil {
			return false
		}
		results := s.runServers(ctx, w, j, todo, op)
		if ctx.Err() != nil {
			// Canceled or stopping: leave the servers Active; a cancel
			// has already moved the job, and a restart rescues it.
			return false
		}
		now = s.cfg.Now()
		for i, r := range results {
			k := serverKey(todo[i])
			ss := j.Status.Servers[k]
			ss.Updated = now
			key := "server/" + j.ID + "/" + k
			if r.err != nil {
				ss.State = model.PhaseRetrying
				ss.LastError = s.sentence(r.err)
				ss.NextAction = now.Add(s.cfg.Interval)
				j.Status.Servers[k] = ss
				s.eventOnce(ctx, key, model.Event{Severity: model.SevError, Job: j.ID, Package: j.Package, Server: k, Site: todo[i].Site, Message: ss.LastError})
				continue
			}
			ss.State, ss.LastError, ss.NextAction = model.PhaseComplete, "", time.Time{}
			if ss.BytesTotal > 0 {
				ss.BytesDone = ss.BytesTotal
			}
			j.Status.Servers[k] = ss
			s.clearOnce(key)
			s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: j.Package, Server: k, Site: todo[i].Site,
				Message: fmt.Sprintf("job %s: %s", j.ID, r.summary)})
		}
	}
	var failed []model.ServerStatus
	for _, srv := range servers {
		if ss := j.Status.Servers[serverKey(srv)]; ss.State != model.PhaseComplete {
			failed = append(failed, ss)
		}
	}
	if len(failed) > 0 {
		j.Status.Working = model.PhaseRetrying
		msg := failed[0].LastError
		if len(failed) > 1 {
			msg = fmt.Sprintf("%s (and %d more servers failing)", msg, len(failed)-1)
		}
		// Each server's failure is its own event; the job's move needs no
		// second copy of it.
		s.retry(ctx, j, "", model.Event{Message: msg})
		return false
	}
	j.Status.Working = model.PhaseComplete
	if err := s.saveJob(ctx, j); err != nil {
		return false
	}
	return true
}

type serverResult struct {
	opResult
	err error
}

// runServers runs op on each server, at most Concurrency at once.
func (s *Service) runServers(ctx context.Context, w *world, j *model.Job, servers []model.Server, op serverOp) []serverResult {
	res := make([]serverResult, len(servers))
	sem := make(chan struct{}, s.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				res[i].err = ctx.Err()
				return
			}
			defer func() { <-sem }()
			res[i] = s.onServer(ctx, w.sessions, j.ID, j.Package, srv, op)
		}()
	}
	wg.Wait()
	return res
}

// onServer connects to one server and runs op, retrying transient
// failures by the policy; an attempt after a failure connects anew, since
// a broken SMB session stays broken (sessionPool keeps only connections
// whose op succeeded). The error names the server.
func (s *Service) onServer(ctx context.Context, pool *sessionPool, job, pkg string, srv model.Server, op serverOp) serverResult {
	k := serverKey(srv)
	loc, err := model.ParseLocation(srv.URL)
	if err != nil {
		return serverResult{err: fmt.Errorf("%s server %s: %w", op.verb, k, err)}
	}
	var tr *transfer
	progress := func(int64, int64) {}
	if op.transfers {
		tr = s.startTransfer(job, pkg, k, op.total)
		progress = tr.progress
	}
	var r opResult
	// The server's own requirements travel to the opener with the context.
	sec := share.Security{RequireSigning: srv.RequireSigning, RequireEncryption: srv.RequireEncryption}
	err = share.Retry(ctx, s.cfg.Retry, func(ctx context.Context) error {
		fsys, err := pool.take(ctx, loc, srv.Credentials, sec)
		if err != nil {
			return err
		}
		r, err = op.run(ctx, fsys, srv, progress)
		pool.give(fsys, loc, srv.Credentials, sec, err)
		return err
	})
	if err == nil && op.after != nil {
		err = op.after(ctx, srv)
	}
	if err != nil {
		err = fmt.Errorf("%s server %s (%s): %w", op.verb, k, loc.UNC(), explain(err))
	}
	if tr != nil {
		tr.finish(r, err)
	}
	return serverResult{opResult: r, err: err}
}

// explain adds what the administrator should do to the errors that need
// one.
func explain(err error) error {
	switch {
	case errors.Is(err, share.ErrLogon):
		return fmt.Errorf("%w: check the server's domain, user and password", err)
	case errors.Is(err, share.ErrAuth):
		return fmt.Errorf("%w: check that the server's user may read and write the share", err)
	case errors.Is(err, share.ErrNoShare):
		return fmt.Errorf("%w: check the server's share name and folder", err)
	case errors.Is(err, share.ErrFull):
		return fmt.Errorf("%w: free space on the server", err)
	}
	return err
}

// pushArchive is the Run Command job's op: put the archive on the server
// unless it already holds it (and the job does not ask to refresh).
func (s *Service) pushArchive(ctx context.Context, j *model.Job) (serverOp, error) {
	pkg, sha, size := j.Package, j.Status.Archive, j.Status.ArchiveSize
	name, err := protocol.ArchivePath(pkg, sha)
	if err != nil {
		return serverOp{}, err
	}
	local, err := s.archiveFile(ctx, pkg, sha, size)
	if err != nil {
		// Send again next cycle.
		j.Status.Sending = model.PhaseNone
		return serverOp{}, fmt.Errorf("%w; it will be packed again", err)
	}
	held := map[string]bool{}
	if !j.Distribute.RefreshExisting {
		list, err := s.st.Holdings(ctx, pkg, sha)
		if err != nil {
			return serverOp{}, fmt.Errorf("reading which servers hold archive %s: %w", short(sha), err)
		}
		for _, h := range list {
			held[h] = true
		}
	}
	return serverOp{
		verb:      fmt.Sprintf("pushing archive %s of package %s to", short(sha), pkg),
		total:     size,
		transfers: true,
		run: func(ctx context.Context, fsys share.FS, srv model.Server, progress func(done, total int64)) (opResult, error) {
			if held[serverKey(srv)] {
				if fi, err := fsys.Stat(name); err == nil && fi.Size() == size {
					progress(size, size)
					return opResult{summary: fmt.Sprintf("server %s already holds archive %s; nothing sent", serverKey(srv), short(sha))}, nil
				}
			}
			f, err := os.Open(local)
			if err != nil {
				return opResult{}, fmt.Errorf("opening archive %s: %w", local, err)
			}
			defer f.Close()
			pr, err := share.PutAtomic(ctx, fsys, name, f, size, share.PutOptions{Progress: progress, Adopt: streamBase})
			r := opResult{resumed: pr.Resumed, written: pr.Written}
			if err != nil {
				return r, err
			}
			r.summary = fmt.Sprintf("archive %s is on server %s (%s written", short(sha), serverKey(srv), model.FormatBytes(pr.Written))
			if pr.Resumed > 0 {
				r.summary += fmt.Sprintf(", %s resumed from an interrupted copy", model.FormatBytes(pr.Resumed))
			}
			r.summary += ")"
			return r, nil
		},
		after: func(ctx context.Context, srv model.Server) error {
			return s.st.SetHolding(ctx, pkg, sha, srv.Site, srv.Name, true)
		},
	}, nil
}

// shareTree is the Share Package On Server job's op: copy the source tree
// to the package's share name on the server (<PKG>/share/ when it has
// none), atomically as a whole. A source on a share is opened once here,
// with ctx, and read by every server's copy; the caller closes src once
// the op has run.
func (s *Service) shareTree(ctx context.Context, pkg model.Package) (op serverOp, src *pkgSource, err error) {
	dst, err := protocol.SharedTreePath(pkg.ID, pkg.Sharing.ShareName)
	if err != nil {
		return serverOp{}, nil, err
	}
	if src, err = s.openSource(ctx, pkg); err != nil {
		return serverOp{}, nil, err
	}
	if err := src.check(pkg.ID); err != nil {
		src.Close()
		return serverOp{}, nil, err
	}
	return serverOp{
		verb:      fmt.Sprintf("copying the source of package %s to", pkg.ID),
		transfers: true,
		run: func(ctx context.Context, fsys share.FS, srv model.Server, progress func(done, total int64)) (opResult, error) {
			var moved int64
			err := src.putTree(ctx, fsys, dst, func(done, total int64) {
				moved = done
				progress(done, total)
			})
			return opResult{written: moved, summary: fmt.Sprintf("package %s is shared from %s on server %s (%s)", pkg.ID, dst, serverKey(srv), model.FormatBytes(moved))}, err
		},
	}, src, nil
}

// removePackage is the Remove Package From Server job's op: delete the
// package's folder (archives and shared tree) and the tree published under
// its share name (shareName, "" for none), and forget the holdings.
func (s *Service) removePackage(pkg, shareName string) (serverOp, error) {
	if _, err := protocol.ShareTreePath(pkg); err != nil {
		return serverOp{}, err
	}
	dirs := []string{pkg}
	if shareName != "" {
		tree, err := protocol.SharedTreePath(pkg, shareName)
		if err != nil {
			return serverOp{}, err
		}
		dirs = append(dirs, tree)
	}
	return serverOp{
		verb: fmt.Sprintf("removing package %s from", pkg),
		run: func(ctx context.Context, fsys share.FS, srv model.Server, _ func(int64, int64)) (opResult, error) {
			for _, dir := range dirs {
				if err := fsys.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return opResult{}, err
				}
			}
			return opResult{summary: fmt.Sprintf("package %s is removed from server %s", pkg, serverKey(srv))}, nil
		},
		after: func(ctx context.Context, srv model.Server) error {
			list, err := s.st.ListArchives(ctx, pkg)
			if err != nil {
				return err
			}
			for _, a := range list {
				if err := s.st.SetHolding(ctx, pkg, a.SHA256, srv.Site, srv.Name, false); err != nil {
					return err
				}
			}
			return nil
		},
	}, nil
}

// transfer tracks one push for Transfers and subscribers.
type transfer struct {
	s   *Service
	key string
	t   Transfer // guarded by s.mu
	// last and lastDone are the time and bytes of the last published
	// progress; only the pushing goroutine touches them.
	last     time.Time
	lastDone int64
}

// A transfer publishes progress when progressEvery has passed or another
// hundredth of it is done, whichever comes first: at most ~100 updates per
// push however fast it goes, and a slow one still shows it moves.
const progressEvery = 250 * time.Millisecond

func (s *Service) startTransfer(job, pkg, server string, total int64) *transfer {
	tr := &transfer{s: s, key: job + "\x00" + server, t: Transfer{Job: job, Package: pkg, Server: server, BytesTotal: total, Started: s.cfg.Now()}}
	s.mu.Lock()
	s.transfers[tr.key] = &tr.t
	snap := tr.t
	s.mu.Unlock()
	s.publish(Update{Kind: UpdateTransfer, Transfer: &snap})
	return tr
}

func (tr *transfer) progress(done, total int64) {
	now := time.Now()
	tr.s.mu.Lock()
	tr.t.BytesDone, tr.t.BytesTotal = done, total
	snap := tr.t
	tr.s.mu.Unlock()
	if now.Sub(tr.last) < progressEvery && done-tr.lastDone < total/100 && done < total {
		return
	}
	tr.last, tr.lastDone = now, done
	tr.s.publish(Update{Kind: UpdateTransfer, Transfer: &snap})
}

func (tr *transfer) finish(r opResult, err error) {
	tr.s.mu.Lock()
	tr.t.Done = true
	tr.t.Resumed, tr.t.Written = r.resumed, r.written
	if err != nil {
		tr.t.Err = tr.s.scrubLocked(err.Error())
	}
	snap := tr.t
	delete(tr.s.transfers, tr.key)
	tr.s.mu.Unlock()
	tr.s.publish(Update{Kind: UpdateTransfer, Transfer: &snap})
}
