package badgerstore

import (
	"context"
	"fmt"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// maxSerial is the largest number that fits the 5 digits after the site
// code in a package or job ID.
const maxSerial = 99999

// HomeSite returns the code of the first site ever stored, which package
// and job IDs start with.
func (s *Store) HomeSite(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	s.homeMu.Lock()
	defer s.homeMu.Unlock()
	if s.home == "" {
		return "", errNoHome
	}
	return s.home, nil
}

// nextID makes the next package or job ID: home site + 5 digits.
func (s *Store) nextID(ctx context.Context, what string, seq *badger.Sequence) (string, error) {
	home, err := s.HomeSite(ctx)
	if err != nil {
		return "", err
	}
	if s.closed.Load() {
		return "", s.errClosed()
	}
	n, err := seq.Next()
	if err != nil {
		return "", fmt.Errorf("numbering the new %s: %w", what, err)
	}
	if n+1 > maxSerial {
		return "", fmt.Errorf("site %s has used all %d %s IDs", home, maxSerial, what)
	}
	return fmt.Sprintf("%s%05d", home, n+1), nil
}

// CreatePackage validates p, gives it the next ID and stores it.
func (s *Store) CreatePackage(ctx context.Context, p model.Package) (model.Package, error) {
	p.ID = ""
	if err := p.Validate(); err != nil {
		return model.Package{}, err
	}
	id, err := s.nextID(ctx, "package", s.seqPkg)
	if err != nil {
		return model.Package{}, err
	}
	p.ID = id
	if p.Created.IsZero() {
		p.Created = now()
	}
	if p.Updated.IsZero() {
		p.Updated = p.Created
	}
	b, pw, err := encodePackage(p)
	if err != nil {
		return model.Package{}, err
	}
	k := key(prefixPackage, p.ID)
	err = s.update(ctx, func(txn *badger.Txn) error {
		if ok, err := exists(txn, k); err != nil {
			return err
		} else if ok {
			return alreadyExists("package %s", p.ID)
		}
		if err := txn.Set(k, b); err != nil {
			return err
		}
		return setSecret(txn, key(prefixPackagePassword, p.ID), pw)
	})
	if err != nil {
		return model.Package{}, fmt.Errorf("storing package %s: %w", p.ID, err)
	}
	return p, nil
}

// UpdatePackage replaces a stored package; it keeps the stored Created time
// and sets Updated.
func (s *Store) UpdatePackage(ctx context.Context, p model.Package) error {
	if err := model.ValidPackageID(p.ID); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	old, err := s.GetPackage(ctx, p.ID)
	if err != nil {
		return err
	}
	p.Created, p.Updated = old.Created, now()
	b, pw, err := encodePackage(p)
	if err != nil {
		return err
	}
	k := key(prefixPackage, p.ID)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "package %s", p.ID); err != nil {
			return err
		}
		if err := txn.Set(k, b); err != nil {
			return err
		}
		return setSecret(txn, key(prefixPackagePassword, p.ID), pw)
	})
}

// encodePackage returns the record of p without its source password, and
// the password's own entry (nil for none).
func encodePackage(p model.Package) (rec, pw []byte, err error) {
	if pw, err = secretEntry(p.SourceCredentials); err != nil {
		return nil, nil, err
	}
	p.SourceCredentials.Password = model.Secret{}
	rec, err = encode(p)
	return rec, pw, err
}

// GetPackage returns one package with its source password.
func (s *Store) GetPackage(ctx context.Context, id string) (model.Package, error) {
	var p model.Package
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := getJSON(txn, key(prefixPackage, id), &p); err != nil {
			return err
		}
		return fillPassword(txn, key(prefixPackagePassword, p.ID), &p.SourceCredentials)
	})
	return p, missing(err, "package %s", id)
}

// ListPackages returns every package, by ID, with its source password.
func (s *Store) ListPackages(ctx context.Context) ([]model.Package, error) {
	var out []model.Package
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(ctx, txn, scan(prefixPackage), false, func(_ []byte, p model.Package) (bool, error) {
			out = append(out, p)
			return true, fillPassword(txn, key(prefixPackagePassword, p.ID), &out[len(out)-1].SourceCredentials)
		})
	})
	return out, err
}

// DeletePackage removes a package unless a job that is not final names it.
// Its archive records stay, so that what the distribution servers hold can
// still be found and removed.
func (s *Store) DeletePackage(ctx context.Context, id string) error {
	k := key(prefixPackage, id)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "package %s", id); err != nil {
			return err
		}
		err := each(ctx, txn, scan(prefixJob), false, func(_ []byte, j model.Job) (bool, error) {
			if j.Package == id && !j.Status.State.Final() {
				return false, inUse("package %s is used by job %s, which is %s: cancel it or wait until it finishes", id, j.ID, j.Status.State)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		if err := txn.Delete(k); err != nil {
			return err
		}
		return txn.Delete(key(prefixPackagePassword, id))
	})
}
