package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// secretEntry is the value kept under a password prefix, or nil when there
// is no password and the key is to be deleted.
func secretEntry(c model.Credentials) ([]byte, error) {
	if c.Password.IsZero() {
		return nil, nil
	}
	return encode(c.Password.Reveal())
}

// setSecret stores or deletes a password.
func setSecret(txn *badger.Txn, k, v []byte) error {
	if v == nil {
		return txn.Delete(k)
	}
	return txn.Set(k, v)
}

// fillPassword reads the password kept apart from the record into c.
func fillPassword(txn *badger.Txn, k []byte, c *model.Credentials) error {
	var pw string
	err := getJSON(txn, k, &pw)
	if errors.Is(err, badger.ErrKeyNotFound) {
		c.Password = model.Secret{}
		return nil
	}
	if err != nil {
		return err
	}
	c.Password = model.NewSecret(pw)
	return nil
}

// PutSite adds or replaces a site. Its parent must exist and must not be
// below it. The first site ever stored becomes the home site.
func (s *Store) PutSite(ctx context.Context, site model.Site) error {
	return s.putSite(ctx, site, false)
}

// CreateSite adds a site; a code already stored is refused with
// model.ErrExists inside the same transaction.
func (s *Store) CreateSite(ctx context.Context, site model.Site) error {
	return s.putSite(ctx, site, true)
}

func (s *Store) putSite(ctx context.Context, site model.Site, create bool) error {
	if err := site.Validate(); err != nil {
		return err
	}
	if site.Created.IsZero() {
		site.Created = now()
	}
	pw, err := secretEntry(site.Credentials)
	if err != nil {
		return err
	}
	site.Credentials.Password = model.Secret{}
	rec, err := encode(site)
	if err != nil {
		return err
	}
	home, err := encode(site.Code)
	if err != nil {
		return err
	}
	var madeHome bool
	err = s.update(ctx, func(txn *badger.Txn) error {
		if create {
			if err := mustBeNew(txn, key(prefixSite, site.Code), "site %s", site.Code); err != nil {
				return err
			}
		}
		if err := checkParent(txn, site); err != nil {
			return err
		}
		if err := checkShareFree(ctx, txn, site); err != nil {
			return err
		}
		hasHome, err := exists(txn, keyHome)
		if err != nil {
			return err
		}
		if madeHome = !hasHome; madeHome {
			if err := txn.Set(keyHome, home); err != nil {
				return err
			}
		}
		if err := txn.Set(key(prefixSite, site.Code), rec); err != nil {
			return err
		}
		return setSecret(txn, key(prefixSitePassword, site.Code), pw)
	})
	if err != nil {
		return storing(err, "storing site %s", site.Code)
	}
	if madeHome {
		s.homeMu.Lock()
		s.home = site.Code
		s.homeMu.Unlock()
	}
	return nil
}

// checkParent walks up from the site's parent: each must exist, and none
// may be the site itself.
func checkParent(txn *badger.Txn, site model.Site) error {
	for p, hops := site.Parent, 0; p != ""; hops++ {
		if p == site.Code || hops > 1000 {
			return &storeError{msg: fmt.Sprintf("site %s cannot have parent %s: %s is below %s", site.Code, site.Parent, site.Parent, site.Code), kind: model.ErrInvalid}
		}
		var up model.Site
		if err := getJSON(txn, key(prefixSite, p), &up); err != nil {
			return missing(err, "parent site %s", p)
		}
		p = up.Parent
	}
	return nil
}

// checkShareFree refuses a site share another site already uses: each site
// publishes its own site.json and signs the instructions there with its own
// key, so two sites on one share overwrite each other and their clients
// refuse every instruction.
func checkShareFree(ctx context.Context, txn *badger.Txn, site model.Site) error {
	mine := sharePlace(site.Share)
	return each(ctx, txn, scan(prefixSite), false, func(_ []byte, other model.Site) (bool, error) {
		if other.Code != site.Code && sharePlace(other.Share) == mine {
			return false, &storeError{msg: fmt.Sprintf("the site share %s is already site %s's, and two sites on one share overwrite each other's site.json: give each site its own share or folder", sharePlace(site.Share), other.Code), kind: model.ErrExists}
		}
		return true, nil
	})
}

// sharePlace is where a share is, without the user name that reaches it:
// \\HOST[:port]\SHARE\folder, in upper case as SMB names are.
func sharePlace(s string) string {
	l, err := model.ParseLocation(s)
	if err != nil {
		return strings.ToUpper(s)
	}
	if l.Port == model.DefaultSMBPort {
		l.Port = 0
	}
	if l.IsLocal() {
		return l.Path
	}
	return strings.ToUpper(l.UNC())
}

// GetSite returns a site with its password.
func (s *Store) GetSite(ctx context.Context, code string) (model.Site, error) {
	var site model.Site
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := getJSON(txn, key(prefixSite, code), &site); err != nil {
			return err
		}
		return fillPassword(txn, key(prefixSitePassword, code), &site.Credentials)
	})
	return site, missing(err, "site %s", code)
}

// ListSites returns every site with its password, by code.
func (s *Store) ListSites(ctx context.Context) ([]model.Site, error) {
	var out []model.Site
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(ctx, txn, scan(prefixSite), false, func(_ []byte, site model.Site) (bool, error) {
			out = append(out, site)
			return true, fillPassword(txn, key(prefixSitePassword, site.Code), &out[len(out)-1].Credentials)
		})
	})
	return out, err
}

// DeleteSite removes a site, its password and signing key. It refuses while
// the site has distribution servers, computers or sub-sites.
func (s *Store) DeleteSite(ctx context.Context, code string) error {
	k := key(prefixSite, code)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "site %s", code); err != nil {
			return err
		}
		if n, err := count(ctx, txn, scan(prefixServer, code)); err != nil {
			return err
		} else if n > 0 {
			return inUse("site %s still has %d distribution server(s): delete them first", code, n)
		}
		if n, err := count(ctx, txn, scan(prefixComputer, code)); err != nil {
			return err
		} else if n > 0 {
			return inUse("site %s still has %d computer(s): delete or move them first", code, n)
		}
		var subs []string
		err := each(ctx, txn, scan(prefixSite), false, func(_ []byte, site model.Site) (bool, error) {
			if site.Parent == code {
				subs = append(subs, site.Code)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		if len(subs) > 0 {
			return inUse("site %s is the parent of %v: delete or move its sub-sites first", code, subs)
		}
		for _, del := range [][]byte{k, key(prefixSitePassword, code), key(prefixSiteKey, code)} {
			if err := txn.Delete(del); err != nil {
				return err
			}
		}
		return nil
	})
}

// siteExists fails with a sentence when the site is not stored.
func siteExists(txn *badger.Txn, code string) error {
	return mustExist(txn, key(prefixSite, code), "site %s", code)
}

// PutServer adds or replaces a distribution server of an existing site.
func (s *Store) PutServer(ctx context.Context, sv model.Server) error {
	return s.putServer(ctx, sv, false)
}

// CreateServer adds a distribution server; a name the site already has (in
// any case) is refused with model.ErrExists inside the same transaction.
func (s *Store) CreateServer(ctx context.Context, sv model.Server) error {
	return s.putServer(ctx, sv, true)
}

func (s *Store) putServer(ctx context.Context, sv model.Server, create bool) error {
	if err := sv.Validate(); err != nil {
		return err
	}
	pw, err := secretEntry(sv.Credentials)
	if err != nil {
		return err
	}
	sv.Credentials.Password = model.Secret{}
	rec, err := encode(sv)
	if err != nil {
		return err
	}
	err = s.update(ctx, func(txn *badger.Txn) error {
		if err := siteExists(txn, sv.Site); err != nil {
			return err
		}
		if create {
			if err := mustBeNew(txn, key(prefixServer, sv.Site, foldName(sv.Name)), "server %s in site %s", sv.Name, sv.Site); err != nil {
				return err
			}
		}
		if err := txn.Set(key(prefixServer, sv.Site, foldName(sv.Name)), rec); err != nil {
			return err
		}
		return setSecret(txn, key(prefixServerPassword, sv.Site, foldName(sv.Name)), pw)
	})
	if err != nil {
		return storing(err, "storing server %s of site %s", sv.Name, sv.Site)
	}
	return nil
}

// GetServer returns a server with its password; the name's case does not
// matter.
func (s *Store) GetServer(ctx context.Context, site, name string) (model.Server, error) {
	var sv model.Server
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := getJSON(txn, key(prefixServer, site, foldName(name)), &sv); err != nil {
			return err
		}
		return fillPassword(txn, key(prefixServerPassword, site, foldName(name)), &sv.Credentials)
	})
	return sv, missing(err, "server %s of site %s", name, site)
}

// ListServers returns the servers of one site, or of all sites when site
// is "", with their passwords.
func (s *Store) ListServers(ctx context.Context, site string) ([]model.Server, error) {
	prefix := scan(prefixServer)
	if site != "" {
		prefix = scan(prefixServer, site)
	}
	var out []model.Server
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(ctx, txn, prefix, false, func(_ []byte, sv model.Server) (bool, error) {
			out = append(out, sv)
			return true, fillPassword(txn, key(prefixServerPassword, sv.Site, foldName(sv.Name)), &out[len(out)-1].Credentials)
		})
	})
	return out, err
}

// DeleteServer removes a server and its password.
func (s *Store) DeleteServer(ctx context.Context, site, name string) error {
	k := key(prefixServer, site, foldName(name))
	return s.update(ctx, func(txn *badger.Txn) error {
		var sv model.Server
		if err := getJSON(txn, k, &sv); err != nil {
			return missing(err, "server %s of site %s", name, site)
		}
		jobs, err := unfinishedJobs(ctx, txn, func(j model.Job) bool {
			_, ok := j.Status.Servers[sv.Site+"/"+sv.Name]
			return ok
		})
		if err != nil {
			return err
		}
		if len(jobs) > 0 {
			return inUse("server %s of site %s is used by %s", sv.Name, sv.Site, usedBy(jobs))
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
		return txn.Delete(key(prefixServerPassword, site, foldName(name)))
	})
}

// PutComputers adds or replaces computers, names upper-cased. A computer
// that changes site leaves the old site's range. Large batches are
// committed in several transactions.
func (s *Store) PutComputers(ctx context.Context, cs ...model.Computer) error {
	return s.putComputers(ctx, cs, false)
}

// AddComputers adds computers, names upper-cased; a name already stored is
// refused with model.ErrExists and then none is stored. (A batch too big for
// one transaction is checked whole first, then written in several.)
func (s *Store) AddComputers(ctx context.Context, cs ...model.Computer) error {
	return s.putComputers(ctx, cs, true)
}

func (s *Store) putComputers(ctx context.Context, cs []model.Computer, create bool) error {
	type entry struct {
		name, site string
		rec, idx   []byte
	}
	entries := make([]entry, len(cs))
	var sites []string
	for i, c := range cs {
		c.Name = model.NormalizeComputerName(c.Name)
		if err := c.Validate(); err != nil {
			return err
		}
		rec, err := encode(c)
		if err != nil {
			return err
		}
		idx, err := encode(c.Site)
		if err != nil {
			return err
		}
		entries[i] = entry{c.Name, c.Site, rec, idx}
		if !slices.Contains(sites, c.Site) {
			sites = append(sites, c.Site)
		}
	}
	err := s.view(ctx, func(txn *badger.Txn) error {
		for _, site := range sites {
			if err := siteExists(txn, site); err != nil {
				return err
			}
		}
		if create {
			for _, e := range entries {
				if err := mustBeNew(txn, key(prefixComputerSite, e.name), "computer %s", e.name); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.batch(ctx, len(entries), func(txn *badger.Txn, i int) error {
		e := entries[i]
		ik := key(prefixComputerSite, e.name)
		if create {
			if err := mustBeNew(txn, ik, "computer %s", e.name); err != nil {
				return err
			}
		}
		var old string
		if err := getJSON(txn, ik, &old); err == nil && old != e.site {
			if err := txn.Delete(key(prefixComputer, old, e.name)); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := txn.Set(key(prefixComputer, e.site, e.name), e.rec); err != nil {
			return err
		}
		return txn.Set(ik, e.idx)
	})
}

// GetComputer returns a computer; the name's case does not matter.
func (s *Store) GetComputer(ctx context.Context, name string) (model.Computer, error) {
	name = model.NormalizeComputerName(name)
	var c model.Computer
	err := s.view(ctx, func(txn *badger.Txn) error {
		var site string
		if err := getJSON(txn, key(prefixComputerSite, name), &site); err != nil {
			return err
		}
		return getJSON(txn, key(prefixComputer, site, name), &c)
	})
	return c, missing(err, "computer %s", name)
}

func computerPrefix(site string) []byte {
	if site == "" {
		return scan(prefixComputer)
	}
	return scan(prefixComputer, site)
}

// ListComputers returns the computers of one site (reading only that
// site's range), or of all sites when site is "".
func (s *Store) ListComputers(ctx context.Context, site string) ([]model.Computer, error) {
	return list[model.Computer](ctx, s, computerPrefix(site))
}

// CountComputers counts the computers of one site, or of all, from the
// keys alone.
func (s *Store) CountComputers(ctx context.Context, site string) (int, error) {
	var n int
	err := s.view(ctx, func(txn *badger.Txn) (err error) {
		n, err = count(ctx, txn, computerPrefix(site))
		return err
	})
	return n, err
}

// DeleteComputer removes a computer. Its per-job statuses stay with the
// jobs.
func (s *Store) DeleteComputer(ctx context.Context, name string) error {
	name = model.NormalizeComputerName(name)
	ik := key(prefixComputerSite, name)
	return s.update(ctx, func(txn *badger.Txn) error {
		var site string
		if err := getJSON(txn, ik, &site); err != nil {
			return missing(err, "computer %s", name)
		}
		if err := txn.Delete(key(prefixComputer, site, name)); err != nil {
			return err
		}
		return txn.Delete(ik)
	})
}

// PutGroup adds or replaces a machine group.
func (s *Store) PutGroup(ctx context.Context, g model.MachineGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	rec, err := encode(g)
	if err != nil {
		return err
	}
	return s.update(ctx, func(txn *badger.Txn) error { return txn.Set(key(prefixGroup, foldName(g.Name)), rec) })
}

// CreateGroup adds a machine group; a name already stored (in any case) is
// refused with model.ErrExists inside the same transaction.
func (s *Store) CreateGroup(ctx context.Context, g model.MachineGroup) error {
	return s.RenameGroup(ctx, "", g)
}

// RenameGroup stores g in place of the group named old (old "" adds g), in
// one transaction. g's name must be free unless it is old's; a group that a
// job which has not finished names keeps its name.
func (s *Store) RenameGroup(ctx context.Context, old string, g model.MachineGroup) error {
	if err := g.Validate(); err != nil {
		return err
	}
	rec, err := encode(g)
	if err != nil {
		return err
	}
	k := key(prefixGroup, foldName(g.Name))
	return s.update(ctx, func(txn *badger.Txn) error {
		if old != "" {
			if err := mustExist(txn, key(prefixGroup, foldName(old)), "machine group %q", old); err != nil {
				return err
			}
		}
		if foldName(old) != foldName(g.Name) {
			if err := mustBeNew(txn, k, "machine group %s", g.Name); err != nil {
				return err
			}
			if old != "" {
				if err := groupFree(ctx, txn, old); err != nil {
					return err
				}
				if err := txn.Delete(key(prefixGroup, foldName(old))); err != nil {
					return err
				}
			}
		}
		return txn.Set(k, rec)
	})
}

// groupFree refuses, naming the jobs, a group that a job which has not
// finished targets or distributes to.
func groupFree(ctx context.Context, txn *badger.Txn, name string) error {
	jobs, err := unfinishedJobs(ctx, txn, func(j model.Job) bool {
		return (j.Target.Kind == model.TargetGroup && foldName(j.Target.Name) == foldName(name)) ||
			(j.Distribute.ServerGroup != "" && foldName(j.Distribute.ServerGroup) == foldName(name))
	})
	if err != nil || len(jobs) == 0 {
		return err
	}
	return inUse("machine group %q is used by %s", name, usedBy(jobs))
}

// GetGroup returns a machine group; the name's case does not matter.
func (s *Store) GetGroup(ctx context.Context, name string) (model.MachineGroup, error) {
	var g model.MachineGroup
	err := s.view(ctx, func(txn *badger.Txn) error { return getJSON(txn, key(prefixGroup, foldName(name)), &g) })
	return g, missing(err, "machine group %q", name)
}

// ListGroups returns every machine group, by name.
func (s *Store) ListGroups(ctx context.Context) ([]model.MachineGroup, error) {
	return list[model.MachineGroup](ctx, s, scan(prefixGroup))
}

// DeleteGroup removes a machine group.
func (s *Store) DeleteGroup(ctx context.Context, name string) error {
	k := key(prefixGroup, foldName(name))
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "machine group %q", name); err != nil {
			return err
		}
		if err := groupFree(ctx, txn, name); err != nil {
			return err
		}
		return txn.Delete(k)
	})
}

// count counts the keys under prefix without reading a value.
func count(ctx context.Context, txn *badger.Txn, prefix []byte) (int, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
	defer it.Close()
	n := 0
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if n++; n%4096 == 0 && ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
	return n, nil
}
