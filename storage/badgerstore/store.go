// Package badgerstore keeps the Administrator's records in Badger, encrypted
// at rest, under the key schema documented in keys.go. It implements
// model.Store.
package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
	"opensms/storage/storedir"
)

var _ model.Store = (*Store)(nil)

// ErrStoreInUse is what Open's error wraps when another process holds the
// store's directory: the one in-use error of both stores.
var ErrStoreInUse = storedir.ErrInUse

// ErrDamaged is what Open's error wraps when the store's files are missing
// or damaged; Open changed nothing.
var ErrDamaged = storedir.ErrDamaged

// KeyFile is the name of the encryption key's file inside the store
// directory.
const KeyFile = "store.key"

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
	sdb    *storedir.DB
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
// encryption key on first use, refuses a key file others can read, refuses
// a directory whose files are missing or damaged (ErrDamaged, nothing
// changed), and returns an error wrapping ErrStoreInUse when another
// process has the store open.
func Open(dir string, opt Options) (*Store, error) {
	sdb, err := storedir.Open(config(dir, opt))
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, sdb: sdb, db: sdb.DB}
	if err := s.init(); err != nil {
		s.releaseSequences()
		_ = sdb.Close()
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

// config is where and how the store in dir opens.
func config(dir string, opt Options) storedir.Config {
	bopt := badger.DefaultOptions(dir).
		WithLogger(badgerLogger(opt.Logger)).
		WithSyncWrites(true).
		WithIndexCacheSize(16 << 20).
		WithBlockCacheSize(32 << 20).
		WithMemTableSize(32 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumVersionsToKeep(1)
	return storedir.Config{
		Name: "the store", Dir: dir, DBDir: dir, KeyFile: KeyFile, Encrypt: true,
		Badger: bopt, SchemaKey: keySchema, Schema: schemaVersion,
		InUseHint: "close the Administrator or use --data",
	}
}

// Backup writes the whole store to w (its key, every record, the site keys
// and secrets among them) as storedir's backup stream; seal it before it
// leaves the computer (storedir.Seal).
func (s *Store) Backup(w io.Writer) error {
	if s.closed.Load() {
		return s.errClosed()
	}
	return s.sdb.Backup(w)
}

// Restore makes the store in dir, which must hold none, from what Backup
// wrote.
func Restore(dir string, r io.Reader) error {
	return storedir.Restore(config(dir, Options{}), r)
}

// init reads the home site and takes the sequences (storedir checked the
// schema version).
func (s *Store) init() error {
	err := s.db.View(func(txn *badger.Txn) error { return getJSON(txn, keyHome, &s.home) })
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
		s.closeErr = errors.Join(err, s.sdb.Close())
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

// encode and decode are the value format both stores share.
func encode(v any) ([]byte, error)    { return storedir.Encode(v) }
func decode(k, b []byte, v any) error { return storedir.Decode(k, b, v) }

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
