package watchdog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/protocol"
	"opensms/core/share"
)

// send makes sure the job has its archive: packed now, or reused when the
// send mode allows and the source has not changed. It reports whether the
// job may go on to Distribute.
func (s *Service) send(ctx context.Context, w *world, j *model.Job) bool {
	if j.Status.Sending == model.PhaseComplete && j.Status.Archive != "" {
		if _, err := s.archiveFile(ctx, j.Package, j.Status.Archive, j.Status.ArchiveSize); err == nil {
			return true
		}
		// The archive went missing from the Administrator's disk (someone
		// cleaned up): send again; servers that hold it are skipped.
	}
	pkg, ok := w.packages[j.Package]
	if !ok {
		s.fail(ctx, w, j, fmt.Sprintf("package %s no longer exists", j.Package))
		return false
	}
	j.Status.Sending = model.PhaseActive
	if err := s.saveJob(ctx, j); err != nil {
		return false
	}
	first := s.firstPush(ctx, w, j)
	var tee pack.Tee
	if first != nil {
		tee = first
	}
	a, packed, err := s.makeArchive(ctx, pkg, j.Send, tee)
	pushed := first.finish(err)
	if err != nil {
		if ctx.Err() != nil {
			return false // canceled or stopping; rescue or cancel takes it from here
		}
		j.Status.Sending = model.PhaseRetrying
		s.retry(ctx, j, "job/"+j.ID, model.Event{Message: fmt.Sprintf("job %s: sending package %s: %s", j.ID, pkg.ID, s.sentence(err))})
		return false
	}
	j.Status.Sending = model.PhaseComplete
	if j.Status.Archive != "" && j.Status.Archive != a.SHA256 {
		// A new archive (the source changed before a re-run): the servers
		// hold the old one, so every one is pushed to again.
		j.Status.Servers, j.Status.Working = nil, model.PhaseNone
	}
	j.Status.Archive, j.Status.ArchiveSize = a.SHA256, a.Size
	if pushed {
		pushed = first.record(ctx, j, a)
	}
	if err := s.saveJob(ctx, j); err != nil {
		return false
	}
	msg := fmt.Sprintf("job %s: package %s is unchanged since archive %s was made; reusing it (%s)", j.ID, pkg.ID, short(a.SHA256), model.FormatBytes(a.Size))
	if packed {
		msg = fmt.Sprintf("job %s: packed package %s into archive %s (%d files, %s compressed to %s)", j.ID, pkg.ID, short(a.SHA256), a.Files, model.FormatBytes(a.SourceBytes), model.FormatBytes(a.Size))
	}
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: pkg.ID, Message: msg})
	if pushed {
		k := serverKey(first.srv)
		s.clearOnce("server/" + j.ID + "/" + k)
		s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: j.Package, Server: k, Site: first.srv.Site,
			Message: fmt.Sprintf("job %s: archive %s is on server %s (%s written while it was packed)", j.ID, short(a.SHA256), k, model.FormatBytes(a.Size))})
	}
	return true
}

// makeArchive packs pkg's source, or with if-not-sent returns the latest
// archive when the source digest matches it and its file is still whole.
// A pack also goes to tee (nil for none) as it is written.
func (s *Service) makeArchive(ctx context.Context, pkg model.Package, mode model.SendMode, tee pack.Tee) (model.Archive, bool, error) {
	src, err := s.openSource(ctx, pkg)
	if err != nil {
		return model.Archive{}, false, err
	}
	defer src.Close()
	// An always job packs whatever the digest says: the packer's walk
	// gives it (Stats.SourceDigest), which spares a walk of the tree.
	var digest string
	var files int
	var srcBytes int64
	if mode != model.SendAlways {
		if digest, files, srcBytes, err = src.digest(ctx); err != nil {
			return model.Archive{}, false, err
		}
		if a, err := s.st.LatestArchive(ctx, pkg.ID); err == nil && a.SourceDigest == digest {
			if _, err := s.archiveFile(ctx, pkg.ID, a.SHA256, a.Size); err == nil {
				return a, false, nil
			}
		}
	}
	dst := filepath.Join(s.cfg.ArchiveDir, pkg.ID)
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return model.Archive{}, false, fmt.Errorf("making the archive folder: %w", err)
	}
	stats, path, err := src.packFile(ctx, dst, tee)
	if err != nil {
		return model.Archive{}, false, err
	}
	if digest == "" {
		digest = stats.SourceDigest
	}
	a := model.Archive{
		Package:      pkg.ID,
		SHA256:       stats.SHA256,
		Size:         stats.Size,
		SourceDigest: digest,
		Files:        stats.Files,
		SourceBytes:  stats.SourceBytes,
		Path:         path,
		Created:      s.cfg.Now(),
	}
	if a.Files == 0 {
		a.Files, a.SourceBytes = files, srcBytes
	}
	if err := s.st.PutArchive(ctx, a); err != nil {
		return model.Archive{}, false, fmt.Errorf("recording archive %s: %w", short(a.SHA256), err)
	}
	return a, true, nil
}

// archiveFile returns the local path of an archive the Send phase made,
// checking that it is there with its size.
func (s *Service) archiveFile(ctx context.Context, pkg, sha string, size int64) (string, error) {
	path := ""
	if list, err := s.st.ListArchives(ctx, pkg); err == nil {
		for _, a := range list {
			if a.SHA256 == sha {
				path = a.Path
			}
		}
	}
	if path == "" {
		name, err := protocol.ArchivePath(pkg, sha)
		if err != nil {
			return "", err
		}
		path = filepath.Join(s.cfg.ArchiveDir, filepath.FromSlash(name))
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("archive %s of package %s: %w", short(sha), pkg, err)
	}
	if size > 0 && fi.Size() != size {
		return "", fmt.Errorf("archive %s of package %s is %d bytes, not %d", short(sha), pkg, fi.Size(), size)
	}
	return path, nil
}

// short is the first 12 hex digits of a hash, as people quote them.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// streamBase names the temporary file an archive is streamed to while it
// is packed (<PKG>/stream.tzst.tmp-<token>): its final name, the hash, is
// known only at the end. A push of the package to that server resumes
// from one a failed stream left (share.PutOptions.Adopt).
const streamBase = "stream" + pack.ArchiveExt

// abortGrace bounds the clean-up of a stream whose job was canceled or
// whose watchdog is stopping: the stream's session outlives the job's
// context so that it can remove its temporary file, but not for long.
const abortGrace = 10 * time.Second

// streamedPush is the push to the first of a job's servers that overlaps
// the packing, as tar | zstd | smbclient put overlaps: it is the pack's
// Tee, so the server receives the archive as it is written, under a
// temporary name renamed into place once the hash is known. The other
// servers start from the local file once it is complete. When the stream
// fails (the server, its session, a source that changed and was packed
// again) the pack goes on, and the server is pushed to from the local file
// as the others are, resuming from what the stream wrote; a nil
// *streamedPush streams nothing.
type streamedPush struct {
	s      *Service
	ctx    context.Context // the job's
	job    string
	pkg    string
	dir    string // the package's folder on the share
	srv    model.Server
	loc    model.Location
	opened chan struct{} // closed when the connection attempt ends
	fsys   share.FS      // set before opened closes; nil when it failed
	cancel context.CancelFunc
	tr     *transfer
	stream *share.Stream // this attempt's; nil until its first byte
	err    error         // why this attempt's stream stopped
	named  bool          // End put the copy in place
	size   int64         // its size
}

// firstPush picks the server whose push overlaps the packing: the first of
// the job's servers that does not hold the job's archive yet. It returns
// nil when there is none to stream to.
func (s *Service) firstPush(ctx context.Context, w *world, j *model.Job) *streamedPush {
	servers, err := w.jobServers(j)
	if err != nil || len(servers) == 0 {
		return nil
	}
	srv := servers[0]
	for _, c := range servers {
		if j.Status.Servers[serverKey(c)].State != model.PhaseComplete {
			srv = c
			break
		}
	}
	loc, err := model.ParseLocation(srv.URL)
	if err != nil {
		return nil
	}
	tree, err := protocol.ShareTreePath(j.Package)
	if err != nil {
		return nil
	}
	return &streamedPush{s: s, ctx: ctx, job: j.ID, pkg: j.Package, dir: path.Dir(tree), srv: srv, loc: loc}
}

// Begin starts an attempt's stream (pack.Tee). The connection is made once,
// in the background while the first frame compresses; an earlier
// attempt's temporary file is removed.
func (p *streamedPush) Begin() (io.Writer, error) {
	if p.stream != nil {
		_ = p.stream.Abort()
		p.stream = nil
	}
	p.err = nil
	if p.opened == nil {
		p.opened = make(chan struct{})
		// The session outlives the job's context (see abortGrace); finish
		// ends it.
		octx, cancel := context.WithCancel(context.WithoutCancel(p.ctx))
		p.cancel = cancel
		sec := share.Security{RequireSigning: p.srv.RequireSigning, RequireEncryption: p.srv.RequireEncryption}
		go func() { // ends when the connection attempt does
			defer close(p.opened)
			if fsys, err := p.s.op.Open(share.WithSecurity(octx, sec), p.loc, p.srv.Credentials); err == nil {
				p.fsys = fsys
			}
		}()
	}
	return p, nil
}

// Write passes the archive's bytes on to the server.
func (p *streamedPush) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.stream == nil {
		if err := p.start(); err != nil {
			p.err = err
			return 0, err
		}
	}
	n, err := p.stream.Write(b)
	if err != nil {
		p.err = err
	}
	return n, err
}

// start connects (waiting for Begin's attempt) and opens the temporary file.
func (p *streamedPush) start() error {
	select {
	case <-p.opened:
	case <-p.ctx.Done():
		return p.ctx.Err()
	}
	if p.fsys == nil {
		return fmt.Errorf("server %s did not connect", serverKey(p.srv))
	}
	clearStreams(p.fsys, p.dir)
	if p.tr == nil {
		p.tr = p.s.startTransfer(p.job, p.pkg, serverKey(p.srv), 0)
	}
	st, err := share.StartStream(p.fsys, p.dir, streamBase, share.PutOptions{Progress: p.tr.progress})
	if err != nil {
		return err
	}
	p.stream = st
	return nil
}

// End names the server's copy by the archive's hash once every byte is
// written (pack.Tee), while the local file syncs.
func (p *streamedPush) End(st pack.Stats) {
	if p.stream == nil || p.err != nil {
		return
	}
	name, err := protocol.ArchivePath(p.pkg, st.SHA256)
	if err == nil {
		p.size, err = p.stream.Finish(name)
	}
	if err == nil && p.size != st.Size {
		err = fmt.Errorf("the server took %d of the archive's %d bytes", p.size, st.Size)
	}
	if err != nil {
		p.err = err // finish keeps or removes the temporary file
		return
	}
	p.named = true
}

// finish ends the stream once the pack has returned, and reports whether
// the server holds the archive: named by End, with the pack done. Else it
// leaves a copy a push from the local file may resume, or removes it. The
// connection is closed either way.
func (p *streamedPush) finish(packErr error) bool {
	if p == nil {
		return false
	}
	if p.opened != nil {
		<-p.opened
	}
	defer func() {
		if p.fsys != nil {
			_ = p.fsys.Close()
		}
		if p.cancel != nil {
			p.cancel()
		}
	}()
	if p.ctx.Err() != nil && p.cancel != nil {
		t := time.AfterFunc(abortGrace, p.cancel)
		defer t.Stop()
	}
	err := p.err
	switch {
	case p.named:
		// When the pack failed after End (the local disk), the server
		// holds a whole archive that nothing records; the next pack
		// names the same bytes the same and replaces it.
		err = packErr
	case p.stream == nil:
		if err == nil {
			err = packErr
		}
	case packErr != nil:
		// The pack failed: what the stream holds is no archive.
		_ = p.stream.Abort()
		err = packErr
	default:
		if err == nil {
			err = fmt.Errorf("the stream to server %s was not ended", serverKey(p.srv))
		}
		if keepForResume(err) {
			_ = p.stream.Keep()
		} else {
			_ = p.stream.Abort()
		}
	}
	if p.tr != nil {
		var r opResult
		if p.named {
			r.written = p.size
		}
		p.tr.finish(r, err)
	}
	return p.named && packErr == nil
}

// clearStreams removes from the package's folder on a server what earlier
// streams left (a crash, a cut connection) before a new one starts: the
// new stream replaces them. Other temporary files go after an hour, as on
// the site share; a push resumes from a recent one.
func clearStreams(fsys share.FS, dir string) {
	list, err := fsys.ReadDir(dir)
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-time.Hour)
	for _, fi := range list {
		n := fi.Name()
		if strings.HasPrefix(n, streamBase+".tmp-") || (share.IsTemp(n) && fi.ModTime().Before(cutoff)) {
			_ = fsys.RemoveAll(path.Join(dir, n))
		}
	}
}

// keepForResume reports whether a failed stream's temporary file is worth
// keeping for the push that follows from the local file.
func keepForResume(err error) bool {
	return !share.IsPermanent(err) && !errors.Is(err, fs.ErrInvalid)
}

// record marks the streamed server as holding archive a: Complete in the
// job's status, and in the store's holdings. It reports whether it did.
func (p *streamedPush) record(ctx context.Context, j *model.Job, a model.Archive) bool {
	if err := p.s.st.SetHolding(ctx, a.Package, a.SHA256, p.srv.Site, p.srv.Name, true); err != nil {
		return false // pushed again from the local file, which finds it there
	}
	if j.Status.Servers == nil {
		j.Status.Servers = map[string]model.ServerStatus{}
	}
	k := serverKey(p.srv)
	ss := j.Status.Servers[k]
	ss.Server, ss.State, ss.Updated = k, model.PhaseComplete, p.s.cfg.Now()
	ss.Attempts++
	ss.BytesTotal, ss.BytesDone = a.Size, a.Size
	ss.LastError, ss.NextAction = "", time.Time{}
	j.Status.Servers[k] = ss
	return true
}
