package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"opensms/core/model"
	"opensms/core/watchdog"
)

// shareLogin reads a share location as typed and the login to it (see
// model.ShareLogin); an empty password on an edit keeps the stored one when
// c says so and a user remains. It returns the canonical location without the user.
func shareLogin(field, location string, c Credentials, stored model.Secret) (string, model.Credentials, error) {
	typed, err := model.ParseLocation(location)
	if err != nil {
		return "", model.Credentials{}, invalidf("%s: %v", field, err)
	}
	pw := model.NewSecret(string(c.Password))
	if c.Password == "" && c.KeepPassword && (strings.TrimSpace(c.User) != "" || typed.User != "") {
		pw = stored // an edit that removes the user removes the password too
	}
	loc, cred, err := model.ShareLogin(location, c.User, c.Domain, pw)
	if err != nil {
		return "", cred, err
	}
	return loc.String(), cred, nil
}

// ListSites implements API.
func (l *Local) ListSites(ctx context.Context) (_ []model.Site, err error) {
	defer fail(&err)
	sites, err := l.st.ListSites(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing sites: %w", err)
	}
	return nonNil(sites), nil
}

// GetSite implements API.
func (l *Local) GetSite(ctx context.Context, code string) (_ SiteDetail, err error) {
	defer fail(&err)
	code = strings.ToUpper(strings.TrimSpace(code))
	s, err := l.st.GetSite(ctx, code)
	if err != nil {
		return SiteDetail{}, err
	}
	servers, err := l.st.ListServers(ctx, s.Code)
	if err != nil {
		return SiteDetail{}, fmt.Errorf("listing the servers of site %s: %w", s.Code, err)
	}
	n, err := l.st.CountComputers(ctx, s.Code)
	if err != nil {
		return SiteDetail{}, fmt.Errorf("counting the computers of site %s: %w", s.Code, err)
	}
	return SiteDetail{Site: s, Servers: nonNil(servers), Computers: n}, nil
}

// site builds the site r describes over old (the zero Site for a new one).
func (l *Local) site(ctx context.Context, r SiteRequest, old model.Site) (model.Site, error) {
	s := old
	s.Code = strings.ToUpper(strings.TrimSpace(r.Code))
	s.Name = strings.TrimSpace(r.Name)
	s.Parent = strings.ToUpper(strings.TrimSpace(r.Parent))
	share, cred, err := shareLogin("site share", r.Share, r.Credentials, old.Credentials.Password)
	if err != nil {
		return s, err
	}
	s.Share, s.Credentials = share, cred
	if s.Created.IsZero() {
		s.Created = now()
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	if s.Parent != "" {
		if err := mustExist("parent site "+s.Parent, getErr(l.st.GetSite(ctx, s.Parent))); err != nil {
			return s, err
		}
	}
	return s, nil
}

// AddSite implements API.
func (l *Local) AddSite(ctx context.Context, r SiteRequest) (_ model.Site, err error) {
	defer fail(&err)
	s, err := l.site(ctx, r, model.Site{})
	if err != nil {
		return s, err
	}
	return s, l.announce(l.st.CreateSite(ctx, s), watchdog.UpdateSite, watchdog.Record{ID: s.Code})
}

// UpdateSite implements API.
func (l *Local) UpdateSite(ctx context.Context, r SiteRequest) (_ model.Site, err error) {
	defer fail(&err)
	old, err := l.st.GetSite(ctx, strings.ToUpper(strings.TrimSpace(r.Code)))
	if err != nil {
		return old, err
	}
	s, err := l.site(ctx, r, old)
	if err != nil {
		return s, err
	}
	return s, l.announce(l.st.PutSite(ctx, s), watchdog.UpdateSite, watchdog.Record{ID: s.Code})
}

// DeleteSite implements API.
func (l *Local) DeleteSite(ctx context.Context, code string) (err error) {
	defer fail(&err)
	code = strings.ToUpper(strings.TrimSpace(code))
	return l.announce(l.st.DeleteSite(ctx, code), watchdog.UpdateSite, watchdog.Record{ID: code, Deleted: true})
}

// ListServers implements API.
func (l *Local) ListServers(ctx context.Context, site string) (_ []model.Server, err error) {
	defer fail(&err)
	site = strings.ToUpper(strings.TrimSpace(site))
	if site != "" {
		if err := l.requireSite(ctx, site); err != nil {
			return nil, err
		}
	}
	servers, err := l.st.ListServers(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	return nonNil(servers), nil
}

// server builds the server r describes; stored is its password so far.
func server(r ServerRequest, stored model.Secret) (model.Server, error) {
	s := model.Server{Site: strings.ToUpper(strings.TrimSpace(r.Site)), Name: strings.TrimSpace(r.Name),
		Default: r.Default, RequireSigning: r.RequireSigning, RequireEncryption: r.RequireEncryption}
	url, cred, err := shareLogin("server share", r.URL, r.Credentials, stored)
	if err != nil {
		return s, err
	}
	s.URL, s.Credentials = url, cred
	return s, s.Validate()
}

// AddServer implements API.
func (l *Local) AddServer(ctx context.Context, r ServerRequest) (_ model.Server, err error) {
	defer fail(&err)
	s, err := server(r, model.Secret{})
	if err != nil {
		return s, err
	}
	if err := l.requireSite(ctx, s.Site); err != nil {
		return s, err
	}
	return s, l.announce(l.st.CreateServer(ctx, s), watchdog.UpdateServer, watchdog.Record{ID: s.Site + "/" + s.Name})
}

// UpdateServer implements API.
func (l *Local) UpdateServer(ctx context.Context, r ServerRequest) (_ model.Server, err error) {
	defer fail(&err)
	old, err := l.st.GetServer(ctx, strings.ToUpper(strings.TrimSpace(r.Site)), strings.TrimSpace(r.Name))
	if err != nil {
		return old, err
	}
	s, err := server(r, old.Credentials.Password)
	if err != nil {
		return s, err
	}
	s.Name = old.Name // the name's case is the stored one
	return s, l.announce(l.st.PutServer(ctx, s), watchdog.UpdateServer, watchdog.Record{ID: s.Site + "/" + s.Name})
}

// DeleteServer implements API.
func (l *Local) DeleteServer(ctx context.Context, site, name string) (err error) {
	defer fail(&err)
	site, name = strings.ToUpper(strings.TrimSpace(site)), strings.TrimSpace(name)
	return l.announce(l.st.DeleteServer(ctx, site, name), watchdog.UpdateServer, watchdog.Record{ID: site + "/" + name, Deleted: true})
}

// TestServer implements API.
func (l *Local) TestServer(ctx context.Context, r ServerRequest) (_ string, err error) {
	defer fail(&err)
	var stored model.Secret
	if r.Credentials.KeepPassword {
		if old, err := l.st.GetServer(ctx, strings.ToUpper(strings.TrimSpace(r.Site)), strings.TrimSpace(r.Name)); err == nil {
			stored = old.Credentials.Password
		}
	}
	s, err := server(r, stored)
	if err != nil {
		return "", err
	}
	if l.op == nil {
		return "", &Error{Kind: KindUnavailable, Sentence: "no share opener is configured, so the connection cannot be tested"}
	}
	loc, err := model.ParseLocation(s.URL)
	if err != nil {
		return "", invalidf("server share: %v", err)
	}
	return testShare(ctx, l.op, loc, s.Credentials)
}

// ListComputers implements API.
func (l *Local) ListComputers(ctx context.Context, site string) (_ []model.Computer, err error) {
	defer fail(&err)
	site = strings.ToUpper(strings.TrimSpace(site))
	if site != "" {
		if err := l.requireSite(ctx, site); err != nil {
			return nil, err
		}
	}
	cs, err := l.st.ListComputers(ctx, site)
	if err != nil {
		return nil, fmt.Errorf("listing computers: %w", err)
	}
	return nonNil(cs), nil
}

// GetComputer implements API.
func (l *Local) GetComputer(ctx context.Context, name string) (_ model.Computer, err error) {
	defer fail(&err)
	return l.st.GetComputer(ctx, model.NormalizeComputerName(name))
}

func (l *Local) computer(ctx context.Context, r ComputerRequest, old model.Computer) (model.Computer, error) {
	c := old
	c.Name = model.NormalizeComputerName(r.Name)
	c.Site = strings.ToUpper(strings.TrimSpace(r.Site))
	c.Platform = r.Platform
	if err := c.Validate(); err != nil {
		return c, err
	}
	return c, l.requireSite(ctx, c.Site)
}

// AddComputer implements API.
func (l *Local) AddComputer(ctx context.Context, r ComputerRequest) (_ model.Computer, err error) {
	defer fail(&err)
	c, err := l.computer(ctx, r, model.Computer{})
	if err != nil {
		return c, err
	}
	return c, l.announce(l.st.AddComputers(ctx, c), watchdog.UpdateComputer, watchdog.Record{ID: c.Name})
}

// UpdateComputer implements API.
func (l *Local) UpdateComputer(ctx context.Context, r ComputerRequest) (_ model.Computer, err error) {
	defer fail(&err)
	old, err := l.st.GetComputer(ctx, model.NormalizeComputerName(r.Name))
	if err != nil {
		return old, err
	}
	c, err := l.computer(ctx, r, old)
	if err != nil {
		return c, err
	}
	return c, l.announce(l.st.PutComputers(ctx, c), watchdog.UpdateComputer, watchdog.Record{ID: c.Name})
}

// DeleteComputer implements API.
func (l *Local) DeleteComputer(ctx context.Context, name string) (err error) {
	defer fail(&err)
	name = model.NormalizeComputerName(name)
	return l.announce(l.st.DeleteComputer(ctx, name), watchdog.UpdateComputer, watchdog.Record{ID: name, Deleted: true})
}

// BackupStore implements API.
func (l *Local) BackupStore(ctx context.Context, w io.Writer) (err error) {
	defer fail(&err)
	b, ok := l.st.(interface{ Backup(io.Writer) error })
	if !ok {
		return &Error{Kind: KindUnavailable, Sentence: "this store cannot be backed up"}
	}
	return b.Backup(w)
}

// ApproveComputer implements API.
func (l *Local) ApproveComputer(ctx context.Context, name string) (_ model.Computer, err error) {
	defer fail(&err)
	c, err := l.st.GetComputer(ctx, model.NormalizeComputerName(name))
	if err != nil {
		return c, err
	}
	if !c.AwaitingApproval {
		return c, fmt.Errorf("%w: computer %s is not awaiting approval", model.ErrInvalid, c.Name)
	}
	c.AwaitingApproval = false
	return c, l.announce(l.st.PutComputers(ctx, c), watchdog.UpdateComputer, watchdog.Record{ID: c.Name})
}

// ListGroups implements API.
func (l *Local) ListGroups(ctx context.Context) (_ []model.MachineGroup, err error) {
	defer fail(&err)
	gs, err := l.st.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	for i := range gs {
		gs[i].Members = nonNil(gs[i].Members)
	}
	return nonNil(gs), nil
}

// GetGroup implements API.
func (l *Local) GetGroup(ctx context.Context, name string) (_ model.MachineGroup, err error) {
	defer fail(&err)
	g, err := l.st.GetGroup(ctx, strings.TrimSpace(name))
	g.Members = nonNil(g.Members)
	return g, err
}

// members checks that each name is a computer or a distribution server (a
// group of servers serves a job's Distribute phase) and returns the names
// as stored: computer names upper case, server names as their server's.
func (l *Local) members(ctx context.Context, names []string) ([]string, error) {
	servers, err := l.st.ListServers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	out := make([]string, 0, len(names))
	for _, n := range names {
		n = strings.TrimSpace(n)
		if i := slices.IndexFunc(servers, func(s model.Server) bool { return strings.EqualFold(s.Name, n) }); i >= 0 {
			out = append(out, servers[i].Name)
			continue
		}
		c, err := l.st.GetComputer(ctx, model.NormalizeComputerName(n))
		switch {
		case errors.Is(err, model.ErrNotFound):
			return nil, invalidf("%s is neither a computer nor a distribution server", n)
		case err != nil:
			return nil, fmt.Errorf("looking up computer %s: %w", n, err)
		}
		out = append(out, c.Name)
	}
	return out, nil
}

// group checks r and returns the group it describes, members as stored.
func (l *Local) group(ctx context.Context, r GroupRequest) (model.MachineGroup, error) {
	g := model.MachineGroup{Name: strings.TrimSpace(r.Name), Comment: strings.TrimSpace(r.Comment), Members: nonNil(r.Members), Query: strings.TrimSpace(r.Query)}
	if err := g.Validate(); err != nil {
		return g, err
	}
	if g.Query != "" {
		return g, checkQuery(g)
	}
	var err error
	if g.Members, err = l.members(ctx, g.Members); err != nil {
		return g, err
	}
	return g, g.Validate()
}

// AddGroup implements API.
func (l *Local) AddGroup(ctx context.Context, r GroupRequest) (_ model.MachineGroup, err error) {
	defer fail(&err)
	g, err := l.group(ctx, r)
	if err != nil {
		return g, err
	}
	return g, l.announce(l.st.CreateGroup(ctx, g), watchdog.UpdateGroup, watchdog.Record{ID: g.Name})
}

// UpdateGroup implements API.
func (l *Local) UpdateGroup(ctx context.Context, r GroupRequest) (_ model.MachineGroup, err error) {
	defer fail(&err)
	old := strings.TrimSpace(r.OldName)
	if old == "" {
		old = strings.TrimSpace(r.Name)
	}
	cur, err := l.st.GetGroup(ctx, old)
	if err != nil {
		return model.MachineGroup{}, err
	}
	g, err := l.group(ctx, r)
	if err != nil {
		return g, err
	}
	if cur.Query != "" && cur.Query == g.Query {
		// The same query: its members stay until the watchdog looks again.
		g.Members, g.Joined = cur.Members, cur.Joined
	}
	r2 := watchdog.Record{ID: g.Name}
	if !strings.EqualFold(old, g.Name) {
		r2.Previous = cur.Name
	}
	return g, l.announce(l.st.RenameGroup(ctx, old, g), watchdog.UpdateGroup, r2)
}

// changeMembers loads a group, lets edit change its members and stores it.
func (l *Local) changeMembers(ctx context.Context, name string, names []string, edit func(g *model.MachineGroup) error) (model.MachineGroup, error) {
	if len(names) == 0 {
		return model.MachineGroup{}, invalidf("give at least one member")
	}
	g, err := l.st.GetGroup(ctx, strings.TrimSpace(name))
	if err != nil {
		return g, err
	}
	if g.Query != "" {
		return g, invalidf("group %s is a query group: its members are the computers its query matches (%s), not added or removed by hand", g.Name, g.Query)
	}
	if err := edit(&g); err != nil {
		return g, err
	}
	g.Members = nonNil(g.Members)
	if err := g.Validate(); err != nil {
		return g, err
	}
	return g, l.announce(l.st.PutGroup(ctx, g), watchdog.UpdateGroup, watchdog.Record{ID: g.Name})
}

// AddMembers implements API.
func (l *Local) AddMembers(ctx context.Context, group string, members []string) (_ model.MachineGroup, err error) {
	defer fail(&err)
	return l.changeMembers(ctx, group, members, func(g *model.MachineGroup) error {
		names, err := l.members(ctx, members)
		if err != nil {
			return err
		}
		for _, n := range names {
			if !slices.Contains(g.Members, n) {
				g.Members = append(g.Members, n)
			}
		}
		return nil
	})
}

// RemoveMembers implements API.
func (l *Local) RemoveMembers(ctx context.Context, group string, members []string) (_ model.MachineGroup, err error) {
	defer fail(&err)
	return l.changeMembers(ctx, group, members, func(g *model.MachineGroup) error {
		for _, n := range members {
			i := slices.IndexFunc(g.Members, func(m string) bool { return strings.EqualFold(m, strings.TrimSpace(n)) })
			if i < 0 {
				return invalidf("%s is not a member of group %s", n, g.Name)
			}
			g.Members = slices.Delete(g.Members, i, i+1)
		}
		return nil
	})
}

// DeleteGroup implements API.
func (l *Local) DeleteGroup(ctx context.Context, name string) (err error) {
	defer fail(&err)
	name = strings.TrimSpace(name)
	return l.announce(l.st.DeleteGroup(ctx, name), watchdog.UpdateGroup, watchdog.Record{ID: name, Deleted: true})
}
