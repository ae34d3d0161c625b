package badgerstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

func validArchive(pkg, sha string) error {
	if err := model.ValidPackageID(pkg); err != nil {
		return err
	}
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return &storeError{msg: fmt.Sprintf("archive hash %q of package %s is not 64 lower-case hex digits", sha, pkg), kind: model.ErrInvalid}
	}
	return nil
}

// PutArchive records an archive the Send phase made.
func (s *Store) PutArchive(ctx context.Context, a model.Archive) error {
	if err := validArchive(a.Package, a.SHA256); err != nil {
		return err
	}
	if a.Created.IsZero() {
		a.Created = now()
	}
	b, err := encode(a)
	if err != nil {
		return err
	}
	return s.update(ctx, func(txn *badger.Txn) error { return txn.Set(key(prefixArchive, a.Package, a.SHA256), b) })
}

// ListArchives returns the package's archives, newest first.
func (s *Store) ListArchives(ctx context.Context, pkg string) ([]model.Archive, error) {
	as, err := list[model.Archive](ctx, s, scan(prefixArchive, pkg))
	slices.SortStableFunc(as, func(a, b model.Archive) int { return b.Created.Compare(a.Created) })
	return as, err
}

// LatestArchive returns the package's newest archive.
func (s *Store) LatestArchive(ctx context.Context, pkg string) (model.Archive, error) {
	as, err := s.ListArchives(ctx, pkg)
	if err != nil {
		return model.Archive{}, err
	}
	if len(as) == 0 {
		return model.Archive{}, notFound("archive of package %s", pkg)
	}
	return as[0], nil
}

// DeleteArchive forgets an archive and which servers hold it.
func (s *Store) DeleteArchive(ctx context.Context, pkg, sha256 string) error {
	k := key(prefixArchive, pkg, sha256)
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, k, "archive %s of package %s", sha256, pkg); err != nil {
			return err
		}
		hs, err := keys(ctx, txn, scan(prefixHolding, pkg, sha256))
		if err != nil {
			return err
		}
		for _, h := range append(hs, k) {
			if err := txn.Delete(h); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetHolding records that a server holds a stored archive, or with
// held=false that it no longer does.
func (s *Store) SetHolding(ctx context.Context, pkg, sha256, site, server string, held bool) error {
	if err := validArchive(pkg, sha256); err != nil {
		return err
	}
	k := key(prefixHolding, pkg, sha256, site, foldName(server))
	if !held {
		return s.update(ctx, func(txn *badger.Txn) error { return txn.Delete(k) })
	}
	if err := model.ValidSiteCode(site); err != nil {
		return err
	}
	b, err := encode(site + "/" + server)
	if err != nil {
		return err
	}
	return s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, key(prefixArchive, pkg, sha256), "archive %s of package %s", sha256, pkg); err != nil {
			return err
		}
		return txn.Set(k, b)
	})
}

// Holdings lists "site/name" of the servers that hold the archive.
func (s *Store) Holdings(ctx context.Context, pkg, sha256 string) ([]string, error) {
	return list[string](ctx, s, scan(prefixHolding, pkg, sha256))
}
