package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"opensms/core/model"
	"opensms/core/pdf"
	"opensms/core/watchdog"
)

// ListPackages implements API.
func (l *Local) ListPackages(ctx context.Context) (_ []model.Package, err error) {
	defer fail(&err)
	ps, err := l.st.ListPackages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing packages: %w", err)
	}
	return nonNil(ps), nil
}

// GetPackage implements API.
func (l *Local) GetPackage(ctx context.Context, id string) (_ model.Package, err error) {
	defer fail(&err)
	return l.st.GetPackage(ctx, strings.ToUpper(strings.TrimSpace(id)))
}

// source checks a package's local source (packageSource takes shares): a
// file:// URL becomes a path, and the folder must exist here, where the
// Send phase packs it. A relative path is for
// the front end to make absolute: only it knows its working directory.
func source(s string) (string, error) {
	s = strings.TrimSpace(s)
	lower := strings.ToLower(s)
	switch {
	case s == "":
		return "", invalidf("package source must not be empty: give an absolute folder, \\\\host\\share\\folder or smb://host/share/folder")
	case strings.HasPrefix(lower, "file://"):
		loc, err := model.ParseLocation(s)
		if err != nil {
			return "", invalidf("package source: %v", err)
		}
		s = filepath.FromSlash(loc.Path)
	}
	if !filepath.IsAbs(s) {
		return "", invalidf("package source %q is not an absolute folder, \\\\host\\share\\folder or smb://host/share/folder", s)
	}
	fi, err := os.Stat(s)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", invalidf("source folder %s does not exist", s)
	case err != nil:
		return "", fmt.Errorf("looking at source folder %s: %w", s, err)
	case !fi.IsDir():
		return "", invalidf("source %s is a file, not a folder", s)
	}
	return filepath.Clean(s), nil
}

// isShareSource reports whether a source as typed names a share.
func isShareSource(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, `\\`) || (strings.HasPrefix(s, "//") && !strings.HasPrefix(s, "///")) || strings.HasPrefix(strings.ToLower(s), "smb://")
}

// packageSource checks p's source and its login. A share is made canonical
// (\\host[:port]\share\dir) with the URL's user@ folded into the login
// (model.ShareLogin), and connected to at once unless it and its login are
// what stored already holds: an unreachable server, a refused login or a
// missing folder is a sentence naming the share, never the password, and
// nothing is stored. A password that came back masked (from a site
// service's answer) keeps the stored one. A local folder takes no login.
func (l *Local) packageSource(ctx context.Context, p *model.Package, stored *model.Package) error {
	c := p.SourceCredentials
	if !isShareSource(p.Source) {
		if c.User != "" || c.Domain != "" || !c.Password.IsZero() {
			return invalidf("package source %s is a local folder, which takes no user or password", strings.TrimSpace(p.Source))
		}
		var err error
		p.Source, err = source(p.Source)
		return err
	}
	pw := c.Password
	if pw.Reveal() == "" && !pw.IsZero() {
		pw = model.Secret{}
		if stored != nil {
			pw = stored.SourceCredentials.Password
		}
	}
	loc, cred, err := model.ShareLogin(p.Source, c.User, c.Domain, pw)
	if err != nil {
		return invalidf("package source: %v", err)
	}
	p.Source, p.SourceCredentials = loc.UNC(), cred
	if stored != nil && stored.Source == p.Source && stored.SourceCredentials.User == cred.User &&
		stored.SourceCredentials.Domain == cred.Domain && stored.SourceCredentials.Password.Reveal() == cred.Password.Reveal() {
		return nil // unchanged: an edit of the comment works while the share is down
	}
	return l.checkSource(ctx, loc, cred)
}

// checkSource connects to a package's source share and looks at its
// folder, as the Send phase will.
func (l *Local) checkSource(ctx context.Context, loc model.Location, cred model.Credentials) error {
	if l.op == nil {
		return fmt.Errorf("checking package source %s: this Administrator cannot open shares", loc.UNC())
	}
	ctx, cancel := context.WithTimeout(ctx, TestTimeout)
	defer cancel()
	as := ""
	if cred.User != "" {
		as = " as " + cred.User
	}
	fsys, err := l.op.Open(ctx, loc, cred)
	if err == nil {
		var fi fs.FileInfo
		fi, err = fsys.Stat(".")
		_ = fsys.Close()
		if err == nil && !fi.IsDir() {
			return invalidf("package source %s is a file, not a folder", loc.UNC())
		}
	}
	if err != nil {
		var e *Error
		if errors.As(explainShare(loc, as, err), &e) {
			if strings.Contains(e.Sentence, loc.UNC()) {
				return invalidf("package source: %s", e.Sentence)
			}
			return invalidf("package source %s: %s", loc.UNC(), e.Sentence)
		}
		return err
	}
	return nil
}

// CheckSource implements API.
func (l *Local) CheckSource(ctx context.Context, r SourceRequest) (_ string, err error) {
	defer fail(&err)
	p := model.Package{Source: r.Source, SourceCredentials: model.Credentials{
		User: r.Credentials.User, Domain: r.Credentials.Domain, Password: model.NewSecret(string(r.Credentials.Password))}}
	if r.Credentials.Password == "" && r.Credentials.KeepPassword && r.Package != "" {
		stored, err := l.st.GetPackage(ctx, strings.ToUpper(strings.TrimSpace(r.Package)))
		if err != nil {
			return "", err
		}
		p.SourceCredentials.Password = stored.SourceCredentials.Password
	}
	if err := l.packageSource(ctx, &p, nil); err != nil {
		return "", err
	}
	if !isShareSource(r.Source) {
		return fmt.Sprintf("The folder %s is there.", p.Source), nil
	}
	as := ""
	if p.SourceCredentials.User != "" {
		as = " as " + p.SourceCredentials.Login()
	}
	return fmt.Sprintf("Connected to %s%s: the folder is there.", p.Source, as), nil
}

// checkPackage completes p (command-line defaults, an empty list rather
// than none) and checks it with its source (see packageSource); stored is
// the package p replaces, or nil.
func (l *Local) checkPackage(ctx context.Context, p *model.Package, stored *model.Package) error {
	if err := l.packageSource(ctx, p, stored); err != nil {
		return err
	}
	p.Commands = nonNil(p.Commands)
	for i := range p.Commands {
		p.Commands[i].ApplyDefaults()
	}
	return p.Validate()
}

// AddPackage implements API.
func (l *Local) AddPackage(ctx context.Context, p model.Package) (_ model.Package, err error) {
	defer fail(&err)
	p.ID = ""
	if err := l.checkPackage(ctx, &p, nil); err != nil {
		return p, err
	}
	if _, err := l.st.HomeSite(ctx); errors.Is(err, model.ErrNotFound) {
		return p, invalidf("there is no site yet, and package IDs begin with the site code: add a site first")
	}
	t := now()
	p.Created, p.Updated = t, t
	created, err := l.st.CreatePackage(ctx, p)
	if err != nil {
		return p, fmt.Errorf("adding package %s: %w", p.Name, err)
	}
	return created, l.announce(nil, watchdog.UpdatePackage, watchdog.Record{ID: created.ID})
}

// UpdatePackage implements API.
func (l *Local) UpdatePackage(ctx context.Context, p model.Package) (_ model.Package, err error) {
	defer fail(&err)
	p.ID = strings.ToUpper(strings.TrimSpace(p.ID))
	old, err := l.st.GetPackage(ctx, p.ID)
	if err != nil {
		return p, err
	}
	if err := l.checkPackage(ctx, &p, &old); err != nil {
		return p, err
	}
	p.Created, p.Updated = old.Created, now()
	return p, l.announce(l.st.UpdatePackage(ctx, p), watchdog.UpdatePackage, watchdog.Record{ID: p.ID})
}

// changePackage loads a package, lets edit change it, and stores it.
func (l *Local) changePackage(ctx context.Context, id string, edit func(p *model.Package) error) (model.Package, error) {
	p, err := l.st.GetPackage(ctx, strings.ToUpper(strings.TrimSpace(id)))
	if err != nil {
		return p, err
	}
	if err := edit(&p); err != nil {
		return p, err
	}
	p.Updated = now()
	if err := p.Validate(); err != nil {
		return p, err
	}
	return p, l.announce(l.st.UpdatePackage(ctx, p), watchdog.UpdatePackage, watchdog.Record{ID: p.ID})
}

// AddCommand implements API.
func (l *Local) AddCommand(ctx context.Context, pkg string, c model.CommandLine) (_ model.Package, err error) {
	defer fail(&err)
	c.ApplyDefaults()
	return l.changePackage(ctx, pkg, func(p *model.Package) error {
		// A name the package has is refused by the model's check.
		p.Commands = append(p.Commands, c)
		return nil
	})
}

// RemoveCommand implements API.
func (l *Local) RemoveCommand(ctx context.Context, pkg, name string) (_ model.Package, err error) {
	defer fail(&err)
	return l.changePackage(ctx, pkg, func(p *model.Package) error {
		i := slices.IndexFunc(p.Commands, func(c model.CommandLine) bool { return c.Name == name })
		if i < 0 {
			return invalidf("package %s has no command line named %q", p.ID, name)
		}
		p.Commands = slices.Delete(p.Commands, i, i+1)
		return nil
	})
}

// DeletePackage implements API.
func (l *Local) DeletePackage(ctx context.Context, id string) (err error) {
	defer fail(&err)
	id = strings.ToUpper(strings.TrimSpace(id))
	return l.announce(l.st.DeletePackage(ctx, id), watchdog.UpdatePackage, watchdog.Record{ID: id, Deleted: true})
}

// ReadDefinition implements API.
func (l *Local) ReadDefinition(ctx context.Context, r DefinitionRequest) (_ Definition, err error) {
	defer fail(&err)
	res, err := pdf.Parse(bytes.NewReader(r.Data))
	if err != nil {
		return Definition{}, invalidf("%s: %v", r.Name, err)
	}
	return Definition{Package: res.Package, Warnings: res.Warnings}, nil
}

// ImportDefinition implements API.
func (l *Local) ImportDefinition(ctx context.Context, r ImportRequest) (_ Definition, err error) {
	defer fail(&err)
	def, err := l.ReadDefinition(ctx, r.DefinitionRequest)
	if err != nil {
		return def, err
	}
	p := def.Package
	p.Source = r.Source
	p.SourceCredentials = model.Credentials{User: r.SourceCredentials.User, Domain: r.SourceCredentials.Domain, Password: model.NewSecret(string(r.SourceCredentials.Password))}
	if !isShareSource(p.Source) {
		// A local folder is checked before the command lines, as before;
		// a share once, when the package is added.
		if _, err := source(p.Source); err != nil {
			return def, err
		}
	}
	kept := p.Commands[:0]
	for _, c := range p.Commands {
		switch {
		case len(c.Platforms) > 0 || c.AnyPlatform:
		case len(r.Platforms) > 0 || r.AnyPlatform:
			c.Platforms, c.AnyPlatform = r.Platforms, r.AnyPlatform
		case r.DropUnmapped:
			def.Warnings = append(def.Warnings, fmt.Sprintf("command line %q left out: no platform it names exists today", c.Name))
			continue
		default:
			return def, invalidf("%s: command line %q names no platform that exists today; give the platforms it runs on, or leave it out", r.Name, c.Name)
		}
		kept = append(kept, c)
	}
	p.Commands = kept
	if def.Package, err = l.AddPackage(ctx, p); err != nil {
		return def, err
	}
	return def, nil
}
