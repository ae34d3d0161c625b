// Package clientstore keeps a client computer's own state (core/client's
// State) in Badger, in the client's data directory — never in the
// Administrator's store.
//
// Layout of the data directory:
//
//	DIR/state/       the Badger database
//	DIR/secret.key   32 random bytes (mode 0600) that seal the enrolment's
//	                 password, so the database alone never holds it in clear
//	DIR/opensms.lock held while the store is open
//
// The lock, the key file, the checks before Badger opens and the schema
// version follow storage/storedir, as the Administrator's store does.
//
// Key schema (one-byte prefix, then the rest):
//
//	'E'                                   enrolment (password masked)
//	'P'                                   the enrolment's password, AES-256-GCM sealed
//	'K'                                   this computer's Ed25519 key, sealed the same way
//	'R' job                               run record
//	'H' BigEndian(uint64 sequence)        history entry; iteration order is the order added
//	'S' "history"                         Badger's sequence behind the history keys
//	'D' package '/' sha256                download in progress
//	'I'                                   the last verified instruction file, as read
//	'Q'                                   the newest instruction file's number accepted (client.Accepted)
//	'V'                                   the key schema version (schemaVersion)
//	'U' job                               a command running (under way) for that job
//	'C'                                   the settings changed (client.SettingsChange)
//
// Every value is one version byte (valueVersion) followed by JSON.
package clientstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/storage/storedir"
)

// Key prefixes, one byte each; see the package comment.
const (
	prefixEnrollment  = 'E'
	prefixPassword    = 'P'
	prefixRun         = 'R'
	prefixHistory     = 'H'
	prefixDownload    = 'D'
	prefixIns         = 'I'
	prefixSeq         = 'S'
	prefixSchema      = 'V'
	prefixAccepted    = 'Q'
	prefixRunning     = 'U'
	prefixComputerKey = 'K'
	prefixSettings    = 'C'
)

// schemaVersion is the key schema this code reads and writes.
const schemaVersion = 1

// valueVersion is the encoding of every value: 1 = JSON.
const valueVersion = storedir.ValueVersion

// KeyFile is the name of the sealing key's file in the data directory.
const KeyFile = "secret.key"

// MaxHistory is how many history entries the store keeps; older ones are
// dropped as new ones come.
const MaxHistory = 1000

// ErrLocked is what Open's error wraps when another process holds the
// store: the one in-use error of both stores.
var ErrLocked = storedir.ErrInUse

// ErrDamaged is what Open's error wraps when the store's files are missing
// or damaged; Open changed nothing.
var ErrDamaged = storedir.ErrDamaged

// Store is a Badger-backed client.State.
type Store struct {
	sdb  *storedir.DB
	db   *badger.DB
	dir  string
	key  []byte // seals the password
	hseq *badger.Sequence

	closeOnce sync.Once
	closeErr  error
}

var _ client.State = (*Store)(nil)

// Open opens (creating if needed) the client store in dir.
func Open(dir string) (*Store, error) {
	sdb, err := storedir.Open(config(dir))
	if err != nil {
		return nil, err
	}
	hseq, err := sdb.GetSequence([]byte(string(prefixSeq)+"history"), 16)
	if err != nil {
		sdb.Close()
		return nil, fmt.Errorf("opening the client store in %s: %w", dir, err)
	}
	return &Store{sdb: sdb, db: sdb.DB, dir: dir, key: sdb.Key, hseq: hseq}, nil
}

// config is where and how the client store in dir opens.
func config(dir string) storedir.Config {
	opts := badger.DefaultOptions("").
		WithSyncWrites(true).
		WithLogger(nil).
		WithValueLogFileSize(16 << 20).
		WithMemTableSize(16 << 20).
		WithValueThreshold(64 << 10).
		WithNumMemtables(2).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(4 << 20).
		WithNumCompactors(2)
	return storedir.Config{
		Name: "the client store", Dir: dir, DBDir: filepath.Join(dir, "state"), KeyFile: KeyFile,
		Badger: opts, SchemaKey: []byte{prefixSchema}, Schema: schemaVersion,
		InUseHint: "close the PCM window or stop the agent that uses it",
	}
}

// Backup writes the whole client store to w (its key, enrolment, computer
// key, history and run records) as storedir's backup stream.
func (s *Store) Backup(w io.Writer) error { return s.sdb.Backup(w) }

// Restore makes the client store in dir, which must hold none, from what
// Backup wrote.
func Restore(dir string, r io.Reader) error { return storedir.Restore(config(dir), r) }

// Dir returns the data directory.
func (s *Store) Dir() string { return s.dir }

// Close closes the database and releases the directory. It is safe to
// call more than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = errors.Join(s.hseq.Release(), s.sdb.Close())
	})
	return s.closeErr
}

func encode(v any) ([]byte, error) { return storedir.Encode(v) }

func (s *Store) put(key []byte, v any) error {
	val, err := encode(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) })
}

func (s *Store) get(key []byte, v any) error {
	return s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(key)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return model.ErrNotFound
		}
		if err != nil {
			return err
		}
		return it.Value(func(b []byte) error { return storedir.Decode(key, b, v) })
	})
}

// list decodes every value under prefix, in key order (reverse when asked).
func list[T any](s *Store, prefix []byte, reverse bool) ([]T, error) {
	var out []T
	err := s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = prefix
		o.Reverse = reverse
		it := txn.NewIterator(o)
		defer it.Close()
		seek := prefix
		if reverse {
			seek = append(append([]byte{}, prefix...), 0xff)
		}
		for it.Seek(seek); it.Valid(); it.Next() {
			var v T
			item := it.Item()
			if err := item.Value(func(b []byte) error { return storedir.Decode(item.Key(), b, &v) }); err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// sealed is the stored form of the password.
type sealed struct {
	Nonce []byte `json:"nonce"`
	Data  []byte `json:"data"`
}

func (s *Store) aead() (cipher.AEAD, error) {
	blk, err := aes.NewCipher(s.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(blk)
}

// Enrollment implements client.State.
func (s *Store) Enrollment(ctx context.Context) (client.Enrollment, error) {
	var e client.Enrollment
	if err := s.get([]byte{prefixEnrollment}, &e); err != nil {
		return e, fmt.Errorf("enrolment: %w", err)
	}
	pw, err := s.unseal(prefixPassword, "enrolment")
	if err != nil {
		return e, fmt.Errorf("enrolment password: %w", err)
	}
	if pw != nil {
		e.Credentials.Password = model.NewSecret(string(pw))
	}
	key, err := s.unseal(prefixComputerKey, "computer key")
	if err != nil {
		return e, fmt.Errorf("this computer's key: %w", err)
	}
	if len(key) == ed25519.PrivateKeySize {
		e.Key = ed25519.PrivateKey(key)
	}
	return e, nil
}

// unseal opens what seal stored under the one-byte key k; nil when there
// is nothing.
func (s *Store) unseal(k byte, purpose string) ([]byte, error) {
	var sp sealed
	switch err := s.get([]byte{k}, &sp); {
	case errors.Is(err, model.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	g, err := s.aead()
	if err != nil {
		return nil, err
	}
	b, err := g.Open(nil, sp.Nonce, sp.Data, []byte(purpose))
	if err != nil {
		return nil, fmt.Errorf("it does not open with %s: enrol again", filepath.Join(s.dir, KeyFile))
	}
	return b, nil
}

// seal encrypts b with the store's key file for the given purpose; nil
// for nothing.
func (s *Store) seal(b []byte, purpose string) ([]byte, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, err := s.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return encode(sealed{Nonce: nonce, Data: g.Seal(nil, nonce, b, []byte(purpose))})
}

// PutEnrollment implements client.State. The password and the computer's
// key go under their own keys, sealed; the record's JSON holds neither.
func (s *Store) PutEnrollment(ctx context.Context, e client.Enrollment) error {
	rec, err := encode(e)
	if err != nil {
		return err
	}
	var pwb []byte
	if !e.Credentials.Password.IsZero() {
		pwb = []byte(e.Credentials.Password.Reveal())
	}
	pw, err := s.seal(pwb, "enrolment")
	if err != nil {
		return err
	}
	key, err := s.seal(e.Key, "computer key")
	if err != nil {
		return err
	}
	setOrDelete := func(txn *badger.Txn, k byte, v []byte) error {
		if v == nil {
			return txn.Delete([]byte{k})
		}
		return txn.Set([]byte{k}, v)
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Set([]byte{prefixEnrollment}, rec); err != nil {
			return err
		}
		if err := setOrDelete(txn, prefixPassword, pw); err != nil {
			return err
		}
		return setOrDelete(txn, prefixComputerKey, key)
	})
	if err != nil {
		return fmt.Errorf("saving the enrolment: %w", err)
	}
	return nil
}

// DeleteEnrollment implements client.State: the enrolment and its
// password go in one transaction; the computer's key stays.
func (s *Store) DeleteEnrollment(ctx context.Context) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		if err := txn.Delete([]byte{prefixEnrollment}); err != nil {
			return err
		}
		return txn.Delete([]byte{prefixPassword})
	})
	if err != nil {
		return fmt.Errorf("forgetting the enrolment: %w", err)
	}
	return nil
}

// ComputerKey implements client.State.
func (s *Store) ComputerKey(ctx context.Context) (ed25519.PrivateKey, error) {
	key, err := s.unseal(prefixComputerKey, "computer key")
	switch {
	case err != nil:
		return nil, fmt.Errorf("this computer's key: %w", err)
	case len(key) != ed25519.PrivateKeySize:
		return nil, fmt.Errorf("this computer's key: %w", model.ErrNotFound)
	}
	return ed25519.PrivateKey(key), nil
}

// Settings implements client.State.
func (s *Store) Settings(ctx context.Context) (client.SettingsChange, error) {
	var c client.SettingsChange
	err := s.get([]byte{prefixSettings}, &c)
	if errors.Is(err, model.ErrNotFound) {
		return client.SettingsChange{}, nil
	}
	if err != nil {
		return c, fmt.Errorf("reading the settings: %w", err)
	}
	return c, nil
}

// PutSettings implements client.State.
func (s *Store) PutSettings(ctx context.Context, c client.SettingsChange) error {
	if err := s.put([]byte{prefixSettings}, c); err != nil {
		return fmt.Errorf("keeping the settings: %w", err)
	}
	return nil
}

func runKey(job string) []byte { return append([]byte{prefixRun}, job...) }

// Run implements client.State.
func (s *Store) Run(ctx context.Context, job string) (client.RunRecord, error) {
	var r client.RunRecord
	if err := s.get(runKey(job), &r); err != nil {
		return r, fmt.Errorf("run record of job %s: %w", job, err)
	}
	return r, nil
}

// PutRun implements client.State.
func (s *Store) PutRun(ctx context.Context, r client.RunRecord) error {
	if r.Job == "" {
		return errors.New("run record has no job")
	}
	if err := s.put(runKey(r.Job), r); err != nil {
		return fmt.Errorf("saving the run record of job %s: %w", r.Job, err)
	}
	return nil
}

// ListRuns implements client.State.
func (s *Store) ListRuns(ctx context.Context) ([]client.RunRecord, error) {
	return list[client.RunRecord](s, []byte{prefixRun}, false)
}

func historyKey(seq uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixHistory
	binary.BigEndian.PutUint64(k[1:], seq)
	return k
}

// AddHistory implements client.State; it keeps the newest MaxHistory entries.
func (s *Store) AddHistory(ctx context.Context, h client.HistoryEntry) error {
	val, err := encode(h)
	if err != nil {
		return err
	}
	seq, err := s.hseq.Next()
	if err != nil {
		return fmt.Errorf("numbering history: %w", err)
	}
	var old [][]byte
	err = s.db.View(func(txn *badger.Txn) error {
		o := badger.DefaultIteratorOptions
		o.Prefix = []byte{prefixHistory}
		o.Reverse = true
		o.PrefetchValues = false
		it := txn.NewIterator(o)
		defer it.Close()
		n := 0
		for it.Seek([]byte{prefixHistory, 0xff}); it.Valid(); it.Next() {
			if n++; n >= MaxHistory {
				old = append(old, it.Item().KeyCopy(nil))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading history: %w", err)
	}
	err = s.db.Update(func(txn *badger.Txn) error {
		for _, k := range old {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return txn.Set(historyKey(seq), val)
	})
	if err != nil {
		return fmt.Errorf("saving history of job %s: %w", h.Job, err)
	}
	return nil
}

// History implements client.State: newest first.
func (s *Store) History(ctx context.Context) ([]client.HistoryEntry, error) {
	return list[client.HistoryEntry](s, []byte{prefixHistory}, true)
}

func runningKey(job string) []byte { return append([]byte{prefixRunning}, job...) }

// PutRunning implements client.State.
func (s *Store) PutRunning(ctx context.Context, r client.RunningCommand) error {
	if r.Job == "" {
		return errors.New("running mark has no job")
	}
	if err := s.put(runningKey(r.Job), r); err != nil {
		return fmt.Errorf("marking job %s as running: %w", r.Job, err)
	}
	return nil
}

// DeleteRunning implements client.State.
func (s *Store) DeleteRunning(ctx context.Context, job string) error {
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(runningKey(job)) })
	if err != nil {
		return fmt.Errorf("clearing the running mark of job %s: %w", job, err)
	}
	return nil
}

// ListRunning implements client.State.
func (s *Store) ListRunning(ctx context.Context) ([]client.RunningCommand, error) {
	return list[client.RunningCommand](s, []byte{prefixRunning}, false)
}

func downloadKey(pkg, archive string) []byte {
	return []byte(string(prefixDownload) + pkg + "/" + archive)
}

// PutDownload implements client.State.
func (s *Store) PutDownload(ctx context.Context, d client.Download) error {
	if err := s.put(downloadKey(d.Package, d.Archive), d); err != nil {
		return fmt.Errorf("saving download progress of %s: %w", d.Package, err)
	}
	return nil
}

// ListDownloads implements client.State.
func (s *Store) ListDownloads(ctx context.Context) ([]client.Download, error) {
	return list[client.Download](s, []byte{prefixDownload}, false)
}

// DeleteDownload implements client.State.
func (s *Store) DeleteDownload(ctx context.Context, pkg, archive string) error {
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Delete(downloadKey(pkg, archive)) })
	if err != nil {
		return fmt.Errorf("forgetting the download of %s: %w", pkg, err)
	}
	return nil
}

// PutInstructions implements client.State. The value is the file's bytes
// behind the version byte (they are signed JSON already).
func (s *Store) PutInstructions(ctx context.Context, data []byte) error {
	err := s.db.Update(func(txn *badger.Txn) error {
		if data == nil {
			return txn.Delete([]byte{prefixIns})
		}
		return txn.Set([]byte{prefixIns}, append([]byte{valueVersion}, data...))
	})
	if err != nil {
		return fmt.Errorf("keeping the instructions: %w", err)
	}
	return nil
}

// Instructions implements client.State; nil when none are kept.
func (s *Store) Instructions(ctx context.Context) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get([]byte{prefixIns})
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return it.Value(func(b []byte) error {
			if len(b) == 0 || b[0] != valueVersion {
				return errors.New("kept instructions have an unknown encoding version")
			}
			out = append([]byte(nil), b[1:]...)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading the kept instructions: %w", err)
	}
	return out, nil
}

// PutAccepted implements client.State.
func (s *Store) PutAccepted(ctx context.Context, a client.Accepted) error {
	if err := s.put([]byte{prefixAccepted}, a); err != nil {
		return fmt.Errorf("keeping the number of the instructions accepted: %w", err)
	}
	return nil
}

// Accepted implements client.State.
func (s *Store) Accepted(ctx context.Context) (client.Accepted, error) {
	var a client.Accepted
	err := s.get([]byte{prefixAccepted}, &a)
	if errors.Is(err, model.ErrNotFound) {
		return client.Accepted{}, nil
	}
	if err != nil {
		return a, fmt.Errorf("reading the number of the instructions accepted: %w", err)
	}
	return a, nil
}
