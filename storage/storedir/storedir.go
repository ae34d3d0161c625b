// Package storedir is the one convention both of OpenSMS's Badger stores
// (storage/badgerstore, the site's; storage/clientstore, a computer's)
// follow on disk:
//
//   - a lock file (LockFile) taken before anything else is read, so that a
//     second process is told "in use" by ErrInUse, not by matching Badger's
//     error text;
//   - a 32-byte key file written atomically (temporary name, sync, link)
//     and refused when other users may read or change it, or when it is
//     missing beside a store that has data;
//   - the database checked before Badger sees it: a directory that holds
//     data but no readable MANIFEST or KEYREGISTRY, a MANIFEST that names
//     missing table files, or a table file that does not verify is refused
//     with ErrDamaged and nothing in it is changed (Badger itself would
//     open it empty or delete the table files its MANIFEST does not name);
//   - a schema version under one key, refused when newer than the code;
//   - values as one version byte and JSON (Encode, Decode);
//   - Close that is safe to call twice.
package storedir

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2"
)

// Errors Open's errors wrap; their texts are sentences for people.
var (
	// ErrInUse: another process (or another Open in this one) holds the
	// store.
	ErrInUse = errors.New("store in use")
	// ErrDamaged: the store's files are missing or damaged; Open changed
	// nothing.
	ErrDamaged = errors.New("store damaged")
)

// LockFile is the name of the lock file in a store's data directory.
const LockFile = "opensms.lock"

// KeySize is the size of a key file: an AES-256 key.
const KeySize = 32

// ValueVersion is the first byte of every value: 1 = JSON follows.
const ValueVersion = 1

// Config says where a store lives and how it opens.
type Config struct {
	// Name names the store in sentences: "the store", "the client store".
	Name string
	// Dir is the data directory: the lock file and the key file live here.
	Dir string
	// DBDir is Badger's directory: Dir itself or a folder in it.
	DBDir string
	// KeyFile is the key file's name in Dir.
	KeyFile string
	// Encrypt makes the key Badger's encryption key; otherwise the store
	// uses it for what it seals itself.
	Encrypt bool
	// Badger are the options to open with; Open sets the directories and
	// the encryption key.
	Badger badger.Options
	// SchemaKey holds the schema version; Schema is this code's version.
	SchemaKey []byte
	Schema    int
	// InUseHint says what to do when another process holds the store.
	InUseHint string
}

// DB is an open store: Badger's database, the key and the lock.
type DB struct {
	*badger.DB
	// Key is the content of the key file.
	Key []byte

	lock     *os.File
	once     sync.Once
	closeErr error
}

// storeError is a sentence that wraps ErrInUse or ErrDamaged (and, where
// there is one, the error underneath).
type storeError struct {
	msg  string
	kind error
	err  error
}

func (e *storeError) Error() string   { return e.msg }
func (e *storeError) Unwrap() []error { return []error{e.kind, e.err} }

// damaged is the sentence for a store Open refuses to touch.
func (c *Config) damaged(err error, format string, args ...any) error {
	return &storeError{
		msg: fmt.Sprintf("%s at %s is damaged: %s; nothing in it was changed: restore the directory from a backup (smsctl restore) or move it away to start empty",
			c.Name, c.Dir, fmt.Sprintf(format, args...)),
		kind: ErrDamaged, err: err,
	}
}

// Open takes the store's lock, reads (or creates) its key, checks its files
// and opens Badger, then checks the schema version.
func Open(c Config) (*DB, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("%s: the data directory is empty", c.Name)
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory %s: %w", c.Dir, err)
	}
	lock, err := takeLock(&c)
	if err != nil {
		return nil, err
	}
	db, err := open(&c, lock)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return db, nil
}

func takeLock(c *Config) (*os.File, error) {
	path := filepath.Join(c.Dir, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file %s: %w", path, err)
	}
	busy, err := tryLock(f)
	if err == nil && busy {
		err = &storeError{msg: fmt.Sprintf("%s at %s is in use by another OpenSMS process; %s", c.Name, c.Dir, c.InUseHint), kind: ErrInUse}
	} else if err != nil {
		err = fmt.Errorf("locking %s: %w", path, err)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func open(c *Config, lock *os.File) (*DB, error) {
	hasData, err := holdsData(c.DBDir)
	if err != nil {
		return nil, err
	}
	key, err := loadKey(c, hasData)
	if err != nil {
		return nil, err
	}
	var encKey []byte
	if c.Encrypt {
		encKey = key
	}
	opt := c.Badger
	opt.Dir, opt.ValueDir = c.DBDir, c.DBDir
	opt = opt.WithEncryptionKey(encKey)
	if c.Encrypt && opt.IndexCacheSize == 0 {
		opt = opt.WithIndexCacheSize(16 << 20) // Badger panics without one on encrypted tables
	}
	if err := check(c, opt); err != nil {
		return nil, err
	}
	bdb, err := openBadger(c, opt)
	if err != nil {
		return nil, err
	}
	db := &DB{DB: bdb, Key: key, lock: lock}
	if err := db.checkSchema(c); err != nil {
		db.closeErr = db.DB.Close() // not db.Close: the caller closes the lock
		return nil, fmt.Errorf("opening %s at %s: %w", c.Name, c.Dir, err)
	}
	return db, nil
}

// openBadger opens Badger, turning a panic in this goroutine into an error.
func openBadger(c *Config, opt badger.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, c.damaged(nil, "Badger stopped on it (%v)", firstLine(r))
		}
	}()
	db, err = badger.Open(opt)
	switch {
	case err == nil:
	case errors.Is(err, badger.ErrEncryptionKeyMismatch):
		err = fmt.Errorf("the key file %s does not open %s at %s: put back the key file this store was made with: %w",
			filepath.Join(c.Dir, c.KeyFile), c.Name, c.Dir, err)
	default:
		err = fmt.Errorf("opening %s at %s: %w", c.Name, c.Dir, err)
	}
	return db, err
}

func firstLine(r any) string {
	s := fmt.Sprint(r)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Close closes Badger and releases the lock. It is safe to call more than
// once; later calls return what the first returned.
func (d *DB) Close() error {
	d.once.Do(func() {
		d.closeErr = d.DB.Close()
		if err := d.lock.Close(); d.closeErr == nil {
			d.closeErr = err
		}
	})
	return d.closeErr
}

// checkSchema writes the schema version into a new store and refuses a
// store written by a newer OpenSMS.
func (d *DB) checkSchema(c *Config) error {
	if c.SchemaKey == nil {
		return nil
	}
	var have int
	err := d.View(func(txn *badger.Txn) error {
		item, err := txn.Get(c.SchemaKey)
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error { return Decode(c.SchemaKey, b, &have) })
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		val, err := Encode(c.Schema)
		if err != nil {
			return err
		}
		return d.Update(func(txn *badger.Txn) error { return txn.Set(c.SchemaKey, val) })
	case err != nil:
		return err
	case have > c.Schema:
		return fmt.Errorf("it was written by a newer OpenSMS (key schema %d; this one reads up to %d): upgrade OpenSMS", have, c.Schema)
	}
	return nil
}

// Encode is the value format: ValueVersion, then JSON.
func Encode(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append([]byte{ValueVersion}, b...), nil
}

// Decode reads what Encode wrote; k names the record in errors.
func Decode(k, b []byte, v any) error {
	if len(b) == 0 || b[0] != ValueVersion {
		var ver byte
		if len(b) > 0 {
			ver = b[0]
		}
		return fmt.Errorf("record %q has encoding %d, which this OpenSMS does not read (it reads %d)", k, ver, ValueVersion)
	}
	if err := json.Unmarshal(b[1:], v); err != nil {
		return fmt.Errorf("record %q is damaged: %w", k, err)
	}
	return nil
}

// isDataFile reports whether Badger keeps data in a file of this name.
func isDataFile(name string) bool {
	switch filepath.Ext(name) {
	case ".sst", ".vlog", ".mem":
		return true
	}
	return name == badger.KeyRegistryFileName || name == badger.ManifestFilename
}

// holdsData reports whether dir holds any of Badger's data files.
func holdsData(dir string) (bool, error) {
	names, err := dirNames(dir)
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if isDataFile(n) {
			return true, nil
		}
	}
	return false, nil
}

func dirNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// loadKey reads the key file, creating it when the store holds no data yet.
func loadKey(c *Config, hasData bool) ([]byte, error) {
	path := filepath.Join(c.Dir, c.KeyFile)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		if hasData {
			return nil, &storeError{kind: ErrDamaged, msg: fmt.Sprintf("%s at %s has data but no key file %s: restore the key file from a backup", c.Name, c.Dir, c.KeyFile)}
		}
		return createKey(c, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("the key file %s is not a file: move it away", path)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("the key file %s can be read or changed by other users (mode %#o): run chmod 600 %s", path, fi.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the key file %s: %w", path, err)
	}
	if len(b) != KeySize {
		return nil, fmt.Errorf("the key file %s holds %d bytes, not %d: it is damaged or not an OpenSMS store key", path, len(b), KeySize)
	}
	return b, nil
}

// createKey writes a new random key; see writeKey.
func createKey(c *Config, path string) ([]byte, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	err := writeKey(c, path, b)
	if errors.Is(err, fs.ErrExist) {
		return loadKey(c, false) // another process made it first
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// writeKey writes b under a temporary name and links it into place: a crash
// leaves either no key file or a complete one, and an existing key file is
// never replaced (the error wraps fs.ErrExist).
func writeKey(c *Config, path string, b []byte) error {
	f, err := os.CreateTemp(c.Dir, c.KeyFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating the key file %s: %w", path, err)
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
	if err != nil {
		return fmt.Errorf("creating the key file %s: %w", path, err)
	}
	return nil
}

// check refuses a Badger directory that Badger would open empty, open with
// tables missing, or "repair" by deleting table files: data without a
// MANIFEST, a MANIFEST or KEYREGISTRY that does not read, a table the
// MANIFEST names that is missing or does not verify, table files and a
// MANIFEST that names none. Table files a MANIFEST with tables does not
// name are what a crash between writing a table and recording it leaves;
// Badger would delete them, so they are moved into set-aside/ instead,
// unless the MANIFEST ends cut short, which is what a MANIFEST that lost
// its later records looks like: that is refused.
func check(c *Config, opt badger.Options) error {
	names, err := dirNames(c.DBDir)
	if err != nil {
		return err
	}
	var data, tables []string
	onDisk := map[uint64]string{}
	hasManifest, hasRegistry := false, false
	for _, n := range names {
		switch {
		case n == badger.ManifestFilename:
			hasManifest = true
		case n == badger.KeyRegistryFileName:
			hasRegistry = true
			data = append(data, n)
		case isDataFile(n):
			data = append(data, n)
		}
		if id, ok := table.ParseFileID(n); ok {
			onDisk[id] = n
			tables = append(tables, n)
		}
	}
	if !hasManifest {
		if len(data) > 0 {
			return c.damaged(nil, "it holds data files (%s) but no MANIFEST, without which they cannot be read", list(data))
		}
		return nil
	}
	mf, torn, err := readManifest(c.DBDir, opt)
	if err != nil {
		return c.damaged(err, "its MANIFEST does not read (%v)", err)
	}
	if !hasRegistry && (len(mf.Tables) > 0 || len(tables) > 0) {
		return c.damaged(nil, "its KEYREGISTRY is missing")
	}
	if len(mf.Tables) == 0 && len(tables) > 0 {
		return c.damaged(nil, "its MANIFEST names no table files, but %s are there", list(tables))
	}
	if !hasRegistry {
		return nil
	}
	reg, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: c.DBDir, ReadOnly: true, EncryptionKey: opt.EncryptionKey})
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) && c.Encrypt {
		return fmt.Errorf("the key file %s does not open %s at %s: put back the key file this store was made with: %w",
			filepath.Join(c.Dir, c.KeyFile), c.Name, c.Dir, err)
	}
	if err != nil {
		return c.damaged(err, "its KEYREGISTRY does not read (%v)", err)
	}
	defer reg.Close()
	ids := make([]uint64, 0, len(mf.Tables))
	for id := range mf.Tables {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	for _, id := range ids {
		name := table.IDToFilename(id)
		if _, ok := onDisk[id]; !ok {
			return c.damaged(nil, "its MANIFEST names table file %s, which is missing", name)
		}
		if err := verifyTable(filepath.Join(c.DBDir, name), id, mf.Tables[id], reg, opt); err != nil {
			return c.damaged(err, "table file %s does not verify (%v)", name, err)
		}
	}
	var stray []string
	for id, n := range onDisk {
		if _, ok := mf.Tables[id]; !ok {
			stray = append(stray, n)
		}
	}
	if len(stray) > 0 && torn {
		sort.Strings(stray)
		return c.damaged(nil, "its MANIFEST ends in a cut-off record and does not name table files %s (if the store was stopped by a crash, move those files out of %s and open it again)",
			list(stray), c.DBDir)
	}
	return setAside(c.DBDir, stray)
}

func list(names []string) string {
	const max = 4
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}

// readManifest replays the MANIFEST read-only; torn says that it ends in
// a record cut short (which Badger would cut off).
func readManifest(dir string, opt badger.Options) (mf badger.Manifest, torn bool, err error) {
	f, err := os.Open(filepath.Join(dir, badger.ManifestFilename))
	if err != nil {
		return mf, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return mf, false, err
	}
	mf, end, err := badger.ReplayManifestFile(f, opt.ExternalMagicVersion, opt)
	return mf, end < fi.Size(), err
}

// verifyTable reads one table file whole and checks every block's
// checksum, in this goroutine, so that damage is an error here rather
// than a panic in one of Badger's.
func verifyTable(path string, id uint64, tm badger.TableManifest, reg *badger.KeyRegistry, opt badger.Options) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s", firstLine(r))
		}
	}()
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dk, err := reg.DataKey(tm.KeyID)
	if err != nil {
		return err
	}
	topt := table.Options{
		ReadOnly:           true,
		BlockSize:          opt.BlockSize,
		BloomFalsePositive: opt.BloomFalsePositive,
		Compression:        tm.Compression,
		DataKey:            dk,
	}
	if dk != nil {
		cache, err := ristretto.NewCache(&ristretto.Config[uint64, *fb.TableIndex]{NumCounters: 64, MaxCost: 64 << 20, BufferItems: 64})
		if err != nil {
			return err
		}
		defer cache.Close()
		topt.IndexCache = cache
	}
	t, err := table.OpenInMemoryTable(data, id, &topt)
	if err != nil {
		return err
	}
	// Not t.DecrRef: at zero references a table deletes its file.
	return t.VerifyChecksum()
}

// setAside moves table files into DBDir/set-aside, where Badger does not
// look.
func setAside(dir string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	to := filepath.Join(dir, "set-aside")
	if err := os.MkdirAll(to, 0o700); err != nil {
		return fmt.Errorf("setting aside table files the MANIFEST does not name: %w", err)
	}
	for _, n := range names {
		if err := os.Rename(filepath.Join(dir, n), filepath.Join(to, n)); err != nil {
			return fmt.Errorf("setting aside table file %s, which the MANIFEST does not name: %w", n, err)
		}
	}
	return nil
}
