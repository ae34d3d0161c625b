package storedir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The backup stream of a store (what Seal encrypts): the magic line, the
// key file's bytes behind their 4-byte length, then Badger's own backup
// stream of every record. The key travels with the records because the
// client store seals its password with it; a restore puts it back, so the
// restored store opens as the old one did.
const backupMagic = "opensms-store-backup/1\n"

// Backup writes the whole store to w: its key and every record.
func (d *DB) Backup(w io.Writer) error {
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(d.Key)))
	if _, err := io.WriteString(w, backupMagic); err != nil {
		return err
	}
	if _, err := w.Write(append(l[:], d.Key...)); err != nil {
		return err
	}
	if _, err := d.DB.Backup(w, 0); err != nil {
		return fmt.Errorf("reading the store for the backup: %w", err)
	}
	return nil
}

// Restore makes the store c describes from what Backup wrote. c.Dir must
// not hold a store yet: a restore never mixes two.
func Restore(c Config, r io.Reader) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("creating the data directory %s: %w", c.Dir, err)
	}
	lock, err := takeLock(&c)
	if err != nil {
		return err
	}
	hasData, err := holdsData(c.DBDir)
	if err == nil && hasData {
		err = fmt.Errorf("%s already holds a store: restore into an empty data directory (give another --data)", c.Dir)
	}
	if _, serr := os.Stat(filepath.Join(c.Dir, c.KeyFile)); err == nil && serr == nil {
		err = fmt.Errorf("%s already holds a key file %s: restore into an empty data directory (give another --data)", c.Dir, c.KeyFile)
	}
	lock.Close()
	if err != nil {
		return err
	}
	magic := make([]byte, len(backupMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != backupMagic {
		return errors.New("the backup does not hold an OpenSMS store")
	}
	var l [4]byte
	if _, err := io.ReadFull(r, l[:]); err != nil || binary.BigEndian.Uint32(l[:]) != KeySize {
		return errors.New("the backup's key is damaged")
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(r, key); err != nil {
		return errors.New("the backup's key is damaged")
	}
	if err := writeKey(&c, filepath.Join(c.Dir, c.KeyFile), key); err != nil {
		return err
	}
	db, err := Open(c)
	if err != nil {
		return err
	}
	if err := db.Load(r, 256); err != nil {
		db.Close()
		return fmt.Errorf("loading the backup into %s: %w", c.Dir, err)
	}
	return db.Close()
}
