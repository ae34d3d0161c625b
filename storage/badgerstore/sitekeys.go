package badgerstore

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// SiteKey returns the site's Ed25519 signing key, creating it on first use.
func (s *Store) SiteKey(ctx context.Context, site string) (ed25519.PrivateKey, error) {
	k := key(prefixSiteKey, site)
	var seed []byte
	err := s.view(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, key(prefixSite, site), "site %s", site); err != nil {
			return err
		}
		return getJSON(txn, k, &seed)
	})
	if err == nil {
		return seedKey(site, seed)
	}
	if !errors.Is(err, badger.ErrKeyNotFound) {
		return nil, err
	}
	fresh := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	b, err := encode(fresh)
	if err != nil {
		return nil, err
	}
	err = s.update(ctx, func(txn *badger.Txn) error {
		if err := mustExist(txn, key(prefixSite, site), "site %s", site); err != nil {
			return err
		}
		// Another caller may have made the key since the read above.
		err := getJSON(txn, k, &seed)
		if errors.Is(err, badger.ErrKeyNotFound) {
			seed = fresh
			return txn.Set(k, b)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("making the signing key of site %s: %w", site, err)
	}
	return seedKey(site, seed)
}

func seedKey(site string, seed []byte) (ed25519.PrivateKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("the signing key of site %s is damaged (%d bytes)", site, len(seed))
	}
	return ed25519.NewKeyFromSeed(seed), nil
}
