package watchdog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"opensms/core/model"
	"opensms/core/protocol"
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
	a, packed, err := s.makeArchive(ctx, pkg, j.Send)
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
	if err := s.saveJob(ctx, j); err != nil {
		return false
	}
	msg := fmt.Sprintf("job %s: package %s is unchanged since archive %s was made; reusing it (%s)", j.ID, pkg.ID, short(a.SHA256), model.FormatBytes(a.Size))
	if packed {
		msg = fmt.Sprintf("job %s: packed package %s into archive %s (%d files, %s compressed to %s)", j.ID, pkg.ID, short(a.SHA256), a.Files, model.FormatBytes(a.SourceBytes), model.FormatBytes(a.Size))
	}
	s.event(ctx, model.Event{Severity: model.SevInfo, Job: j.ID, Package: pkg.ID, Message: msg})
	return true
}

// makeArchive packs pkg's source, or with if-not-sent returns the latest
// archive when the source digest matches it and its file is still whole.
func (s *Service) makeArchive(ctx context.Context, pkg model.Package, mode model.SendMode) (model.Archive, bool, error) {
	src, err := s.openSource(ctx, pkg)
	if err != nil {
		return model.Archive{}, false, err
	}
	defer src.Close()
	digest, files, srcBytes, err := src.digest(ctx)
	if err != nil {
		return model.Archive{}, false, err
	}
	if mode != model.SendAlways {
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
	stats, path, err := src.packFile(ctx, dst)
	if err != nil {
		return model.Archive{}, false, err
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
