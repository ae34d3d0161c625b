package storedir_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"opensms/storage/clientstore"
	"opensms/storage/storedir"
)

func config(dir string, encrypt bool) storedir.Config {
	return storedir.Config{
		Name: "the test store", Dir: dir, DBDir: filepath.Join(dir, "db"), KeyFile: "test.key",
		Encrypt: encrypt, Badger: badger.DefaultOptions("").WithLogger(nil).WithSyncWrites(true),
		SchemaKey: []byte("schema"), Schema: 3, InUseHint: "stop the other test",
	}
}

// filled makes a store with several table files: every Close flushes the
// memtable into one.
func filled(t *testing.T, encrypt bool) string {
	t.Helper()
	dir := t.TempDir()
	for round := range 3 {
		db, err := storedir.Open(config(dir, encrypt))
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(txn *badger.Txn) error {
			for i := range 300 {
				if err := txn.Set(fmt.Appendf(nil, "k%d-%04d", round, i), []byte(strings.Repeat("value ", 20))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot is every file under dir with a digest of its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tables(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(m) < 2 {
		t.Fatalf("want at least two table files in %s, have %v (%v)", dir, m, err)
	}
	sort.Strings(m)
	return m
}

func flip(t *testing.T, path string, at func(size int) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := at(len(b)); i < at(len(b))+16 && i < len(b); i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestDamagedStoreIsRefusedAndLeftAlone damages copies of a real store as
// a disk, a careless copy or a person would, and checks that Open says so
// in a sentence, does not panic, and changes no file.
func TestDamagedStoreIsRefusedAndLeftAlone(t *testing.T) {
	for _, encrypt := range []bool{true, false} {
		for _, tc := range []struct {
			name   string
			damage func(t *testing.T, db string)
			want   string
		}{
			{"MANIFEST removed", func(t *testing.T, db string) { os.Remove(filepath.Join(db, "MANIFEST")) }, "but no MANIFEST"},
			{"MANIFEST empty", func(t *testing.T, db string) { os.Truncate(filepath.Join(db, "MANIFEST"), 0) }, "its MANIFEST does not read"},
			{"MANIFEST header only", func(t *testing.T, db string) { os.Truncate(filepath.Join(db, "MANIFEST"), 8) }, "its MANIFEST names no table files"},
			{"MANIFEST cut in the middle", func(t *testing.T, db string) {
				fi, _ := os.Stat(filepath.Join(db, "MANIFEST"))
				os.Truncate(filepath.Join(db, "MANIFEST"), fi.Size()/2+3)
			}, "MANIFEST"},
			{"KEYREGISTRY removed", func(t *testing.T, db string) { os.Remove(filepath.Join(db, "KEYREGISTRY")) }, "its KEYREGISTRY is missing"},
			{"KEYREGISTRY damaged", func(t *testing.T, db string) {
				flip(t, filepath.Join(db, "KEYREGISTRY"), func(n int) int { return n - 20 })
			}, "its KEYREGISTRY does not read"},
			{"table file removed", func(t *testing.T, db string) { os.Remove(tables(t, db)[0]) }, "which is missing"},
			{"table file damaged at the start", func(t *testing.T, db string) {
				flip(t, tables(t, db)[0], func(int) int { return 0 })
			}, "does not verify"},
			{"table file damaged in the middle", func(t *testing.T, db string) {
				flip(t, tables(t, db)[1], func(n int) int { return n / 2 })
			}, "does not verify"},
			{"table file damaged at the end", func(t *testing.T, db string) {
				flip(t, tables(t, db)[1], func(n int) int { return n - 40 })
			}, "does not verify"},
			{"table file cut short", func(t *testing.T, db string) {
				p := tables(t, db)[0]
				fi, _ := os.Stat(p)
				os.Truncate(p, fi.Size()/3)
			}, "does not verify"},
		} {
			t.Run(fmt.Sprintf("%s/encrypted=%v", tc.name, encrypt), func(t *testing.T) {
				dir := filled(t, encrypt)
				tc.damage(t, filepath.Join(dir, "db"))
				before := snapshot(t, dir)
				db, err := storedir.Open(config(dir, encrypt))
				if err == nil {
					db.Close()
					t.Fatal("the damaged store opened")
				}
				if !errors.Is(err, storedir.ErrDamaged) || !strings.Contains(err.Error(), tc.want) ||
					!strings.HasPrefix(err.Error(), "the test store at "+dir+" is damaged: ") ||
					!strings.Contains(err.Error(), "nothing in it was changed") || strings.Contains(err.Error(), "\n") {
					t.Errorf("Open: %v\nwant ErrDamaged and a sentence with %q", err, tc.want)
				}
				after := snapshot(t, dir)
				delete(before, storedir.LockFile)
				delete(after, storedir.LockFile)
				if fmt.Sprint(before) != fmt.Sprint(after) {
					t.Errorf("Open changed the files:\nbefore %v\nafter  %v", before, after)
				}
			})
		}
	}
}

// TestStrayTableIsSetAside: a table file the MANIFEST does not name (a
// crash between writing it and recording it) would be deleted by Badger;
// it is moved into set-aside/ and the store opens with all its data.
func TestStrayTableIsSetAside(t *testing.T) {
	dir := filled(t, true)
	db := filepath.Join(dir, "db")
	stray := filepath.Join(db, "000999.sst")
	if err := os.WriteFile(stray, []byte("left by a crash"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := storedir.Open(config(dir, true))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if b, err := os.ReadFile(filepath.Join(db, "set-aside", "000999.sst")); err != nil || string(b) != "left by a crash" {
		t.Errorf("the stray table was not set aside: %q, %v", b, err)
	}
	if n := countKeys(s); n != 900+1 { // the keys and the schema version
		t.Errorf("the store holds %d keys after setting aside, want 901", n)
	}
}

func TestInUseCloseTwiceAndSchema(t *testing.T) {
	dir := t.TempDir()
	a, err := storedir.Open(config(dir, true))
	if err != nil {
		t.Fatal(err)
	}
	_, err = storedir.Open(config(dir, true))
	want := "the test store at " + dir + " is in use by another OpenSMS process; stop the other test"
	if !errors.Is(err, storedir.ErrInUse) || err.Error() != want {
		t.Errorf("second Open: %v; want %q", err, want)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	c := config(dir, true)
	c.Schema = 2
	if _, err := storedir.Open(c); err == nil || !strings.Contains(err.Error(), "it was written by a newer OpenSMS (key schema 3; this one reads up to 2)") {
		t.Errorf("Open of a newer schema: %v", err)
	}
	b, err := storedir.Open(config(dir, true)) // the refusal released the lock
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
}

func TestKeyFileConvention(t *testing.T) {
	dir := t.TempDir()
	s, err := storedir.Open(config(dir, false))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	key := filepath.Join(dir, "test.key")
	fi, err := os.Stat(key)
	if err != nil || fi.Size() != storedir.KeySize || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, "test.key.tmp-*")); len(leftovers) > 0 {
		t.Errorf("temporary key files left: %v", leftovers)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(key, 0o604)
		if _, err := storedir.Open(config(dir, false)); err == nil || !strings.Contains(err.Error(), "can be read or changed by other users (mode 0604)") {
			t.Errorf("Open with a key others can read: %v", err)
		}
		os.Chmod(key, 0o600)
	}
	os.Remove(key)
	if _, err := storedir.Open(config(dir, false)); !errors.Is(err, storedir.ErrDamaged) || !strings.Contains(err.Error(), "has data but no key file test.key") {
		t.Errorf("Open without the key: %v", err)
	}
}

// TestClientStoreWithoutManifest is the client store's case of the
// finding: its history would go, and jobs would run again.
func TestClientStoreWithoutManifest(t *testing.T) {
	dir := t.TempDir()
	s, err := clientstore.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutInstructions(t.Context(), []byte("kept")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	os.Remove(filepath.Join(dir, "state", "MANIFEST"))
	before := snapshot(t, dir)
	_, err = clientstore.Open(dir)
	if !errors.Is(err, clientstore.ErrDamaged) || !strings.Contains(err.Error(), "the client store at "+dir+" is damaged") {
		t.Fatalf("Open without MANIFEST: %v", err)
	}
	after := snapshot(t, dir)
	delete(before, storedir.LockFile)
	delete(after, storedir.LockFile)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("Open changed the files:\nbefore %v\nafter  %v", before, after)
	}
}

// TestBackupStreamCutShort: a backup stream that stops anywhere before its
// end (between two of Badger's records too) is told apart from a whole
// one, and restoring it leaves the directory empty for the next try.
func TestBackupStreamCutShort(t *testing.T) {
	src := filled(t, true)
	db, err := storedir.Open(config(src, true))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	check := storedir.NewStreamCheck()
	if err := db.Backup(io.MultiWriter(&buf, check)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := check.Complete(); err != nil {
		t.Fatalf("a whole stream: %v", err)
	}
	whole := buf.Bytes()
	dst := t.TempDir()
	for _, cut := range []int{10, 40, len(whole) / 2, len(whole) - 4, len(whole) - 1} {
		c := storedir.NewStreamCheck()
		c.Write(whole[:cut])
		if c.Complete() == nil {
			t.Errorf("a stream cut at %d of %d passed the check", cut, len(whole))
		}
		if err := storedir.Restore(config(dst, true), bytes.NewReader(whole[:cut])); err == nil {
			t.Errorf("a stream cut at %d of %d was restored", cut, len(whole))
		}
		if left := snapshot(t, dst); len(left) > 1 { // the lock file may stay
			t.Fatalf("a refused restore left %v", left)
		}
	}
	if err := storedir.Restore(config(dst, true), bytes.NewReader(whole)); err != nil {
		t.Fatal(err)
	}
	db, err = storedir.Open(config(dst, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := countKeys(db); n != 901 {
		t.Errorf("the restored store holds %d keys, want 901", n)
	}
}

// countKeys counts every key in the store.
func countKeys(db *storedir.DB) int {
	n := 0
	db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}
