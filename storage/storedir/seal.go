package storedir

import (
	"bufio"
	"bytes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/chacha20poly1305"
)

// A sealed backup file is one header line of JSON (BackupHeader), then the
// backup stream in chunks: each a 4-byte big-endian length and that many
// bytes of XChaCha20-Poly1305 ciphertext. The key comes from the passphrase
// by Argon2id with the header's parameters; chunk i's nonce is the header's
// 16-byte prefix and i as 8 big-endian bytes; every chunk authenticates the
// header line and whether it is the last, so that a file edited, cut short
// or stitched from two backups does not open.

// BackupFormat names the sealed backup format.
const BackupFormat = "opensms-backup/1"

// ErrPassphrase: the passphrase does not open the backup (or the file was
// changed since it was written).
var ErrPassphrase = errors.New("the passphrase does not open the backup")

// BackupHeader is the first line of a sealed backup: what it holds and how
// its key is derived. None of it is secret.
type BackupHeader struct {
	Format  string    `json:"format"`
	Store   string    `json:"store"` // "site" or "client"
	Created time.Time `json:"created"`
	KDF     string    `json:"kdf"` // "argon2id"
	Salt    []byte    `json:"salt"`
	Time    uint32    `json:"time"`
	Memory  uint32    `json:"memory_kib"`
	Threads uint8     `json:"threads"`
	Nonce   []byte    `json:"nonce"` // 16 bytes; the chunk number completes it
}

const (
	chunkSize     = 64 << 10
	maxHeaderLine = 4 << 10
	// MinPassphrase is the shortest passphrase a backup is sealed with.
	MinPassphrase = 12
)

func (h *BackupHeader) key(passphrase string) ([]byte, error) {
	if h.KDF != "argon2id" || len(h.Salt) < 16 || h.Time == 0 || h.Time > 16 || h.Memory < 8<<10 || h.Memory > 1<<20 || h.Threads == 0 || len(h.Nonce) != 16 {
		return nil, fmt.Errorf("the backup's key parameters are not ones OpenSMS writes (%s, time %d, memory %d KiB)", h.KDF, h.Time, h.Memory)
	}
	return argon2.IDKey([]byte(passphrase), h.Salt, h.Time, h.Memory, h.Threads, chacha20poly1305.KeySize), nil
}

func nonce(prefix []byte, i uint64) []byte {
	n := make([]byte, chacha20poly1305.NonceSizeX)
	copy(n, prefix)
	binary.BigEndian.PutUint64(n[16:], i)
	return n
}

func chunkAD(header []byte, last bool) []byte {
	flag := byte(0)
	if last {
		flag = 1
	}
	return append(append([]byte{}, header...), flag)
}

// sealWriter encrypts what is written to it, chunk by chunk.
type sealWriter struct {
	w      io.Writer
	aead   cipher.AEAD
	header []byte
	prefix []byte
	buf    []byte
	n      uint64
	closed bool
}

// Seal writes the header of a backup of the given store kind to w and
// returns a writer that seals what is written to it; Close writes the last
// chunk (it does not close w).
func Seal(w io.Writer, store, passphrase string, now time.Time) (io.WriteCloser, error) {
	if len(passphrase) < MinPassphrase {
		return nil, fmt.Errorf("the passphrase is %d characters; a backup needs at least %d", len(passphrase), MinPassphrase)
	}
	h := BackupHeader{Format: BackupFormat, Store: store, Created: now.UTC().Round(time.Second), KDF: "argon2id",
		Salt: make([]byte, 16), Time: 3, Memory: 64 << 10, Threads: 4, Nonce: make([]byte, 16)}
	if _, err := rand.Read(h.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(h.Nonce); err != nil {
		return nil, err
	}
	line, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	key, err := h.key(passphrase)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(append(line, '\n')); err != nil {
		return nil, err
	}
	return &sealWriter{w: w, aead: aead, header: line, prefix: h.Nonce, buf: make([]byte, 0, chunkSize)}, nil
}

func (s *sealWriter) Write(p []byte) (int, error) {
	if s.closed {
		return 0, errors.New("write to a closed backup")
	}
	n := len(p)
	for len(p) > 0 {
		k := min(chunkSize-len(s.buf), len(p))
		s.buf = append(s.buf, p[:k]...)
		p = p[k:]
		if len(s.buf) == chunkSize {
			if err := s.flush(false); err != nil {
				return 0, err
			}
		}
	}
	return n, nil
}

func (s *sealWriter) flush(last bool) error {
	ct := s.aead.Seal(nil, nonce(s.prefix, s.n), s.buf, chunkAD(s.header, last))
	s.n++
	s.buf = s.buf[:0]
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(ct)))
	if _, err := s.w.Write(l[:]); err != nil {
		return err
	}
	_, err := s.w.Write(ct)
	return err
}

// Close seals the last chunk.
func (s *sealWriter) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.flush(true)
}

// openReader decrypts a sealed backup chunk by chunk.
type openReader struct {
	r      *bufio.Reader
	aead   cipher.AEAD
	header []byte
	prefix []byte
	n      uint64
	plain  []byte
	done   bool
}

// ReadHeader reads a sealed backup's header line.
func ReadHeader(r *bufio.Reader) (BackupHeader, []byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil || len(line) > maxHeaderLine {
		return BackupHeader{}, nil, errors.New("it is not an OpenSMS backup (no header line)")
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	var h BackupHeader
	if err := json.Unmarshal(line, &h); err != nil || h.Format == "" {
		return BackupHeader{}, nil, errors.New("it is not an OpenSMS backup (its first line is not a backup header)")
	}
	if h.Format != BackupFormat {
		return BackupHeader{}, nil, fmt.Errorf("it is a backup of format %q, which this OpenSMS does not read (it reads %s)", h.Format, BackupFormat)
	}
	return h, append([]byte(nil), line...), nil
}

// Unseal reads the header of a sealed backup from r and returns it with a
// reader of the backup stream. A wrong passphrase fails at once with
// ErrPassphrase; a file changed or cut short fails while reading.
func Unseal(r io.Reader, passphrase string) (BackupHeader, io.Reader, error) {
	br := bufio.NewReaderSize(r, chunkSize+64)
	h, line, err := ReadHeader(br)
	if err != nil {
		return h, nil, err
	}
	key, err := h.key(passphrase)
	if err != nil {
		return h, nil, err
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return h, nil, err
	}
	o := &openReader{r: br, aead: aead, header: line, prefix: h.Nonce}
	if err := o.next(); err != nil { // the first chunk tells a wrong passphrase at once
		return h, nil, err
	}
	return h, o, nil
}

func (o *openReader) next() error {
	var l [4]byte
	if _, err := io.ReadFull(o.r, l[:]); err != nil {
		return fmt.Errorf("the backup is cut short after %d chunks", o.n)
	}
	size := binary.BigEndian.Uint32(l[:])
	if size > chunkSize+uint32(o.aead.Overhead()) {
		return fmt.Errorf("%w: chunk %d is damaged", ErrPassphrase, o.n)
	}
	ct := make([]byte, size)
	if _, err := io.ReadFull(o.r, ct); err != nil {
		return fmt.Errorf("the backup is cut short in chunk %d", o.n)
	}
	for _, last := range []bool{false, true} {
		if pt, err := o.aead.Open(nil, nonce(o.prefix, o.n), ct, chunkAD(o.header, last)); err == nil {
			o.plain, o.done = pt, last
			o.n++
			if last {
				if _, err := o.r.ReadByte(); err != io.EOF {
					return errors.New("the backup has data after its last chunk")
				}
			}
			return nil
		}
	}
	if o.n == 0 {
		return ErrPassphrase
	}
	return fmt.Errorf("%w: chunk %d does not open (the file was changed)", ErrPassphrase, o.n)
}

func (o *openReader) Read(p []byte) (int, error) {
	for len(o.plain) == 0 {
		if o.done {
			return 0, io.EOF
		}
		if err := o.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, o.plain)
	o.plain = o.plain[n:]
	return n, nil
}
