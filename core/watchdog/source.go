package watchdog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"opensms/core/model"
	"opensms/core/pack"
	"opensms/core/share"
)

// pkgSource is a package's source folder, opened for the Send phase or a
// Share Package On Server job: a folder on this computer, or a folder on
// a share read over SMB with the package's own source login.
type pkgSource struct {
	local string   // the folder, when it is on this computer
	fsys  share.FS // the share, rooted at the folder, when it is not
	where string   // the folder as sentences name it (\\host\share\dir)
}

// openSource opens pkg's source. A share is connected with ctx, which
// bounds every later read; the error names the share, never the password.
func (s *Service) openSource(ctx context.Context, pkg model.Package) (*pkgSource, error) {
	if filepath.IsAbs(pkg.Source) {
		return &pkgSource{local: filepath.Clean(pkg.Source), where: pkg.Source}, nil
	}
	loc, err := model.ParseLocation(pkg.Source)
	if err != nil {
		return nil, fmt.Errorf("package %s source: %w", pkg.ID, err)
	}
	if loc.IsLocal() {
		dir := filepath.FromSlash(loc.Path)
		return &pkgSource{local: dir, where: dir}, nil
	}
	fsys, err := s.op.Open(ctx, loc, pkg.SourceCredentials)
	if err != nil {
		return nil, fmt.Errorf("reading the source of package %s at %s: %w", pkg.ID, loc.UNC(), explainSource(err))
	}
	return &pkgSource{fsys: fsys, where: loc.UNC()}, nil
}

// explainSource adds what the administrator should change to the errors
// that need one; the package's source login is not a server's.
func explainSource(err error) error {
	switch {
	case errors.Is(err, share.ErrLogon):
		return fmt.Errorf("%w: check the package's source user and password", err)
	case errors.Is(err, share.ErrAuth):
		return fmt.Errorf("%w: check that the package's source user may read the folder", err)
	case errors.Is(err, share.ErrNoShare):
		return fmt.Errorf("%w: check the package's source folder", err)
	}
	return err
}

// Close ends the share's session, if there is one.
func (p *pkgSource) Close() {
	if p.fsys != nil {
		_ = p.fsys.Close()
	}
}

// digest summarises the source without reading a file: one listing of the
// tree.
func (p *pkgSource) digest(ctx context.Context) (string, int, int64, error) {
	if p.fsys == nil {
		return pack.SourceDigest(ctx, p.local)
	}
	return pack.SourceDigestFS(ctx, share.IOFS(p.fsys), p.where)
}

// packFile packs the source into dstDir/<sha256>.tzst, streamed, and to
// tee (nil for none) as it is written.
func (p *pkgSource) packFile(ctx context.Context, dstDir string, tee pack.Tee) (pack.Stats, string, error) {
	opt := pack.Options{Tee: tee}
	if p.fsys == nil {
		return pack.PackFile(ctx, p.local, dstDir, opt)
	}
	return pack.PackFileFS(ctx, share.IOFS(p.fsys), p.where, dstDir, opt)
}

// check says in a sentence why a local source cannot be copied; a share's
// folder was checked when it was opened.
func (p *pkgSource) check(pkg string) error {
	if p.fsys != nil {
		return nil
	}
	fi, err := os.Stat(p.local)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("it is not a folder")
	}
	if err != nil {
		return fmt.Errorf("package %s source folder %s: %w", pkg, p.local, err)
	}
	return nil
}

// putTree copies the source to dst on a distribution share, atomically as
// a whole.
func (p *pkgSource) putTree(ctx context.Context, fsys share.FS, dst string, progress func(done, total int64)) error {
	if p.fsys == nil {
		return share.PutTree(ctx, fsys, dst, p.local, progress)
	}
	return share.PutTreeFrom(ctx, fsys, dst, share.IOFS(p.fsys), p.where, progress)
}
