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
// stream of every record in frames (a 4-byte length and that many bytes)
// ended by an empty frame, so that a stream cut short at any point, even
// between two of Badger's records, is refused rather than restored in
// part. The key travels with the records because the client store seals
// its password with it; a restore puts it back, so the restored store
// opens as the old one did.
const backupMagic = "opensms-store-backup/2\n"

// frameWriter writes what it is given as frames; Close writes the end.
type frameWriter struct{ w io.Writer }

func (f frameWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), 1<<20)
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(k))
		if _, err := f.w.Write(l[:]); err != nil {
			return 0, err
		}
		if _, err := f.w.Write(p[:k]); err != nil {
			return 0, err
		}
		p = p[k:]
	}
	return n, nil
}

func (f frameWriter) Close() error {
	_, err := f.w.Write(make([]byte, 4))
	return err
}

// frameReader reads frames until the end frame; a stream that stops
// before it is cut short.
type frameReader struct {
	r    io.Reader
	left uint32
	done bool
}

func (f *frameReader) Read(p []byte) (int, error) {
	for f.left == 0 {
		if f.done {
			return 0, io.EOF
		}
		var l [4]byte
		if _, err := io.ReadFull(f.r, l[:]); err != nil {
			return 0, errors.New("the backup is cut short: its records do not end")
		}
		f.left = binary.BigEndian.Uint32(l[:])
		if f.left == 0 {
			f.done = true
		}
	}
	n, err := f.r.Read(p[:min(len(p), int(f.left))])
	f.left -= uint32(n)
	if err == io.EOF && f.left > 0 {
		return n, errors.New("the backup is cut short in the middle of a record")
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

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
	fw := frameWriter{w}
	if _, err := d.DB.Backup(fw, 0); err != nil {
		return fmt.Errorf("reading the store for the backup: %w", err)
	}
	return fw.Close()
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
		unrestore(&c)
		return err
	}
	fr := &frameReader{r: r}
	err = db.Load(fr, 256)
	if err == nil && !fr.done {
		_, err = io.Copy(io.Discard, fr) // Badger stopped before the end frame
	}
	if err != nil {
		db.Close()
		unrestore(&c)
		return fmt.Errorf("loading the backup into %s: %w; nothing was restored", c.Dir, err)
	}
	return db.Close()
}

// unrestore removes what a failed restore made (the directory held no
// store before it began), so that the next try starts from empty.
func unrestore(c *Config) {
	os.Remove(filepath.Join(c.Dir, c.KeyFile))
	if c.DBDir != c.Dir {
		os.RemoveAll(c.DBDir)
		return
	}
	names, _ := dirNames(c.DBDir)
	for _, n := range names {
		if isDataFile(n) || n == "DISCARD" || n == "LOCK" {
			os.Remove(filepath.Join(c.DBDir, n))
		}
	}
}

// StreamCheck follows a backup stream as it is written and tells whether
// it came whole: a backup taken through a site service could otherwise end
// early (the service stopped) and still be sealed as if complete.
type StreamCheck struct {
	need  int    // bytes left in the current part
	part  int    // 0 magic, 1 key length, 2 key, 3 frame length, 4 frame, 5 done
	hdr   []byte // the length being read
	magic []byte
	err   error
}

// NewStreamCheck returns a check at the start of a stream.
func NewStreamCheck() *StreamCheck { return &StreamCheck{need: len(backupMagic)} }

// Write follows p; it fails once the stream is not a backup stream.
func (c *StreamCheck) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		if c.part == 5 {
			c.err = errors.New("the backup stream goes on after its end")
			break
		}
		k := min(c.need, len(p))
		switch c.part {
		case 0:
			c.magic = append(c.magic, p[:k]...)
		case 1, 3:
			c.hdr = append(c.hdr, p[:k]...)
		}
		p, c.need = p[k:], c.need-k
		if c.need > 0 {
			continue
		}
		switch c.part {
		case 0:
			if string(c.magic) != backupMagic {
				c.err = errors.New("the backup stream does not start as one")
			}
			c.part, c.need = 1, 4
		case 1:
			c.part, c.need, c.hdr = 2, int(binary.BigEndian.Uint32(c.hdr)), nil
		case 2, 4:
			c.part, c.need = 3, 4
		case 3:
			l := int(binary.BigEndian.Uint32(c.hdr))
			c.hdr = nil
			if l == 0 {
				c.part = 5
			} else {
				c.part, c.need = 4, l
			}
		}
	}
	if c.err != nil {
		return 0, c.err
	}
	return n, nil
}

// Complete reports nil when the stream followed so far is a whole backup.
func (c *StreamCheck) Complete() error {
	if c.err != nil {
		return c.err
	}
	if c.part != 5 {
		return errors.New("the backup stream stopped before its end")
	}
	return nil
}
