// Package badgerstore keeps the Administrator's records in Badger, encrypted
// at rest, under the key schema documented in keys.go. It implements
// model.Store.
package badgerstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

var _ model.Store = (*Store)(nil)

// ErrStoreInUse is what Open's error wraps when another process holds the
// store's directory.
var ErrStoreInUse = errors.New("store in use")

// KeyFile is the name of the encryption key's file inside the store
// directory.
const KeyFile = "store.key"

const keySize = 32 // AES-256

// Options tune Open. The zero value is what the Administrator and smsctl use.
type Options struct {
	// Logger receives Badger's own messages (its info lines at debug
	// level). Nil keeps Badger quiet.
	Logger *slog.Logger
	// GCInterval is how often the value-log garbage collector runs;
	// 0 means every 5 minutes.
	GCInterval time.Duration
}

// Store is a model.Store on a Badger database. Its methods are safe for
// concurrent use.
type Store struct {
	dir    string
	db     *badger.DB
	seqPkg *badger.Sequence
	seqJob *badger.Sequence
	seqEvt *badger.Sequence

	homeMu sync.Mutex
	home   string // set once, by the first PutSite

	closed    atomic.Bool
	stopGC    context.CancelFunc
	gcDone    sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the store in dir. It creates dir and the
// encryption key on first use, refuses a key file others can read, and
// returns an error wrapping ErrStoreInUse when another process has the
// store open.
func Open(dir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the store directory: %w", err)
	}
	encKey, err := loadKey(dir)
	if err != nil {
		return nil, err
	}
	bopt := badger.DefaultOptions(dir).
		WithLogger(badgerLogger(opt.Logger)).
		WithSyncWrites(true).
		WithEncryptionKey(encKey).
		WithIndexCacheSize(16 << 20).
		WithBlockCacheSize(32 << 20).
		WithMemTableSize(32 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumVersionsToKeep(1)
	db, err := badger.Open(bopt)
	if err != nil {
		// Badger formats the flock error into its text (no %w), so the
		// sentence is all there is to recognise.
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, &inUseError{dir: dir}
		}
		if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
			return nil, fmt.Errorf("the key file %s does not open the store at %s: put back the key file this store was made with: %w",
				filepath.Join(dir, KeyFile), dir, err)
		}
		return nil, fmt.Errorf("opening the store at %s: %w", dir, err)
	}
	s := &Store{dir: dir, db: db}
	if err := s.init(); err != nil {
		s.releaseSequences()
		_ = db.Close()
		return nil, fmt.Errorf("opening the store at %s: %w", dir, err)
	}
	interval := opt.GCInterval
	if interval <= 0 {
		interval = 5 * time.Minute
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopGC = cancel
	s.gcDone.Add(1)
	go s.runGC(ctx, interval)
	return s, nil
}

type inUseError struct{ dir string }

func (e *inUseError) Error() string {
	return fmt.Sprintf("the store at %s is in use by another OpenSMS process; close the Administrator or use --data", e.dir)
}

func (e *inUseError) Unwrap() error { return ErrStoreInUse }

// init checks the schema version, reads the home site and takes the
// sequences.
func (s *Store) init() error {
	var schema int
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keySchema, &schema) })
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		if err := s.putJSON(keySchema, schemaVersion); err != nil {
			return err
		}
	case err != nil:
		return err
	case schema > schemaVersion:
		return fmt.Errorf("it was written by a newer OpenSMS (key schema %d; this one reads up to %d): upgrade OpenSMS", schema, schemaVersion)
	}
	err = s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyHome, &s.home) })
	if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
		return err
	}
	// The bandwidth is how many numbers one lease takes; numbers leased
	// but unused are lost only if the process dies before Close.
	for _, q := range []struct {
		seq  **badger.Sequence
		key  []byte
		band uint64
	}{{&s.seqPkg, seqPackage, 10}, {&s.seqJob, seqJob, 10}, {&s.seqEvt, seqEvent, 100}} {
		if *q.seq, err = s.db.GetSequence(q.key, q.band); err != nil {
			return fmt.Errorf("taking sequence %s: %w", q.key[1:], err)
		}
	}
	return nil
}

// loadKey reads DIR/store.key, creating it when the directory holds no
// store yet.
func loadKey(dir string) ([]byte, error) {
	path := filepath.Join(dir, KeyFile)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if hasBadgerFiles(dir) {
			return nil, fmt.Errorf("the store at %s has data but no key file %s: restore the key file from a backup", dir, KeyFile)
		}
		return createKey(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the store key: %w", err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the key file %s can be read or changed by other users (mode %#o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the store key: %w", err)
	}
	if len(b) != keySize {
		return nil, fmt.Errorf("the key file %s holds %d bytes, not %d: it is damaged or not an OpenSMS store key", path, len(b), keySize)
	}
	return b, nil
}

func hasBadgerFiles(dir string) bool {
	for _, name := range []string{"MANIFEST", "KEYREGISTRY"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// createKey writes a new random key under a temporary name and links it
// into place, so that a second process racing to create it either wins or
// reads a complete key.
func createKey(dir, path string) ([]byte, error) {
	b := make([]byte, keySize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, KeyFile+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("creating the store key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp, path)
	}
	if errors.Is(err, fs.ErrExist) {
		return loadKey(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("creating the store key: %w", err)
	}
	return b, nil
}

// Dir returns the store's directory.
func (s *Store) Dir() string { return s.dir }

// Close stops the garbage collector, hands back the unused sequence numbers
// and closes the database. It is safe to call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		s.stopGC()
		s.gcDone.Wait()
		err := s.releaseSequences()
		s.closeErr = errors.Join(err, s.db.Close())
	})
	return s.closeErr
}

func (s *Store) releaseSequences() error {
	var errs []error
	for _, q := range []*badger.Sequence{s.seqPkg, s.seqJob, s.seqEvt} {
		if q != nil {
			errs = append(errs, q.Release())
		}
	}
	return errors.Join(errs...)
}

// runGC rewrites value-log files that are at least half garbage until
// Badger finds nothing more to do, every interval.
func (s *Store) runGC(ctx context.Context, interval time.Duration) {
	defer s.gcDone.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.gcOnce(ctx)
		}
	}
}

func (s *Store) gcOnce(ctx context.Context) {
	for ctx.Err() == nil {
		if err := s.db.RunValueLogGC(0.5); err != nil {
			return // badger.ErrNoRewrite: nothing (more) to do
		}
	}
}

// errClosed is returned by every method after Close.
func (s *Store) errClosed() error {
	return fmt.Errorf("the store at %s is closed", s.dir)
}

// view runs fn in a read transaction.
func (s *Store) view(ctx context.Context, fn func(txn *badger.Txn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return s.errClosed()
	}
	return s.db.View(fn)
}

// update runs fn in a write transaction, again when it conflicts with a
// concurrent one. fn must only read and set: entries are built before.
func (s *Store) update(ctx context.Context, fn func(txn *badger.Txn) error) error {
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.closed.Load() {
			return s.errClosed()
		}
		err := s.db.Update(fn)
		if errors.Is(err, badger.ErrConflict) && attempt < 20 {
			continue
		}
		return err
	}
}

// batch runs op(txn, i) for i in [0, n) in as few write transactions as
// Badger allows: when one grows too big it is committed and op(i) is run
// again in a new one, so op must be idempotent. The whole batch runs again
// when a transaction conflicts with a concurrent one.
func (s *Store) batch(ctx context.Context, n int, op func(txn *badger.Txn, i int) error) error {
	for attempt := 0; ; attempt++ {
		err := s.batchOnce(ctx, n, op)
		if errors.Is(err, badger.ErrConflict) && attempt < 20 {
			continue
		}
		return err
	}
}

func (s *Store) batchOnce(ctx context.Context, n int, op func(txn *badger.Txn, i int) error) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for i := 0; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := op(txn, i)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := txn.Commit(); err != nil {
				return err
			}
			txn = s.db.NewTransaction(true)
			err = op(txn, i)
		}
		if err != nil {
			return err
		}
	}
	return txn.Commit()
}

// encode is the value format: valueVersion + JSON.
func encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{valueVersion}, b...), nil
}

func decode(k, b []byte, v any) error {
	if len(b) == 0 || b[0] != valueVersion {
		var ver byte
		if len(b) > 0 {
			ver = b[0]
		}
		return fmt.Errorf("record %q has encoding %d, which this OpenSMS does not read (it reads %d)", k, ver, valueVersion)
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return fmt.Errorf("record %q is damaged: %w", k, err)
	}
	return nil
}

// getJSON reads and decodes one value; a missing key is badger.ErrKeyNotFound.
func getJSON(txn *badger.Txn, k []byte, v any) error {
	item, err := txn.Get(k)
	if err != nil {
		return err
	}
	return item.Value(func(b []byte) error { return decode(k, b, v) })
}

func (s *Store) putJSON(k []byte, v any) error {
	b, err := encode(v)
	if err != nil {
		return err
	}
	return s.update(context.Background(), func(txn *badger.Txn) error { return txn.Set(k, b) })
}

// exists reports whether k is set.
func exists(txn *badger.Txn, k []byte) (bool, error) {
	_, err := txn.Get(k)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

// mustExist fails with notFound(format, args...) when k is not set.
func mustExist(txn *badger.Txn, k []byte, format string, args ...any) error {
	ok, err := exists(txn, k)
	if err == nil && !ok {
		err = notFound(format, args...)
	}
	return err
}

// each decodes every value under prefix into a new T and calls fn; reverse
// walks from the last key to the first.
func each[T any](ctx context.Context, txn *badger.Txn, prefix []byte, reverse bool, fn func(k []byte, v T) (more bool, err error)) error {
	opt := badger.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.Reverse = reverse
	it := txn.NewIterator(opt)
	defer it.Close()
	seek := prefix
	if reverse {
		// Past every key under prefix: no key part holds 0xff bytes
		// (UTF-8 never does, and event numbers stay far below 2^63).
		seek = append(append([]byte{}, prefix...), bytes.Repeat([]byte{0xff}, 16)...)
	}
	n := 0
	for it.Seek(seek); it.ValidForPrefix(prefix); it.Next() {
		if n++; n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		item := it.Item()
		var v T
		if err := item.Value(func(b []byte) error { return decode(item.Key(), b, &v) }); err != nil {
			return err
		}
		more, err := fn(item.Key(), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// list decodes every value under prefix, in key order.
func list[T any](ctx context.Context, s *Store, prefix []byte) ([]T, error) {
	var out []T
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(ctx, txn, prefix, false, func(_ []byte, v T) (bool, error) {
			out = append(out, v)
			return true, nil
		})
	})
	return out, err
}

// keys returns every key under prefix, without reading values.
func keys(ctx context.Context, txn *badger.Txn, prefix []byte) ([][]byte, error) {
	opt := badger.IteratorOptions{PrefetchValues: false, Prefix: prefix}
	it := txn.NewIterator(opt)
	defer it.Close()
	var out [][]byte
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		if len(out)%1024 == 1023 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		out = append(out, it.Item().KeyCopy(nil))
	}
	return out, nil
}

// storeError is a sentence that wraps one of model's sentinel errors.
type storeError struct {
	msg  string
	kind error
}

func (e *storeError) Error() string { return e.msg }
func (e *storeError) Unwrap() error { return e.kind }

// notFound names the thing: notFound("package %s", id) says
// "package S0100007 not found" and wraps model.ErrNotFound.
func notFound(format string, args ...any) error {
	return &storeError{msg: fmt.Sprintf(format, args...) + " not found", kind: model.ErrNotFound}
}

func inUse(format string, args ...any) error {
	return &storeError{msg: fmt.Sprintf(format, args...), kind: model.ErrInUse}
}

func alreadyExists(format string, args ...any) error {
	return &storeError{msg: fmt.Sprintf(format, args...) + " already exists", kind: model.ErrExists}
}

// errNoHome is what creating a package or job says before any site exists.
var errNoHome = &storeError{msg: "add a site first: package IDs start with the site code", kind: model.ErrNotFound}

// missing turns Badger's not-found into a sentence about the thing.
func missing(err error, format string, args ...any) error {
	if errors.Is(err, badger.ErrKeyNotFound) {
		return notFound(format, args...)
	}
	return err
}

func now() time.Time { return time.Now().UTC().Round(0) }

// badgerLogger routes Badger's messages to l, or nowhere when l is nil.
func badgerLogger(l *slog.Logger) badger.Logger {
	if l == nil {
		return nil
	}
	return slogAdapter{l.With("component", "badger")}
}

type slogAdapter struct{ l *slog.Logger }

func msg(format string, args []any) string { return strings.TrimSpace(fmt.Sprintf(format, args...)) }

func (a slogAdapter) Errorf(f string, v ...any)   { a.l.Error(msg(f, v)) }
func (a slogAdapter) Warningf(f string, v ...any) { a.l.Warn(msg(f, v)) }
func (a slogAdapter) Infof(f string, v ...any)    { a.l.Debug(msg(f, v)) }
func (a slogAdapter) Debugf(f string, v ...any)   { a.l.Debug(msg(f, v)) }
