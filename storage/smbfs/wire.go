package smbfs

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
)

// errPlainText is what a sealed wire answers a plain message with; classify
// turns it into share.ErrSecurity.
var errPlainText = errors.New("an unencrypted SMB message on a connection that must be encrypted")

// wire is the FS's TCP connection, watched: it tells plain SMB 2/3 messages
// (protocol ID 0xFE 'SMB') from those under the SMB 3 transform header
// (0xFD 'SMB'), that is encrypted, in both directions. go-smb2 encrypts
// when the server asks for it (for the session or the share) but does not
// report whether it does; the wire shows it. Once sealed it refuses to send
// or accept a plain message, so a session that was shown to be encrypted
// stays so.
type wire struct {
	net.Conn

	mu     sync.Mutex
	in     frames
	out    frames
	sealed bool
}

// frames follows the direct-TCP framing of one direction (a 4-byte length,
// then the message) and counts its messages by kind.
type frames struct {
	head      [8]byte // the length and the protocol ID of the current message
	got       int     // bytes of head seen
	left      int     // bytes of the current message after its protocol ID
	plain     int
	encrypted int
}

// feed follows b and returns the number of plain messages it began.
func (f *frames) feed(b []byte) (plain int) {
	for len(b) > 0 {
		if f.left > 0 {
			n := min(f.left, len(b))
			f.left -= n
			b = b[n:]
			continue
		}
		n := copy(f.head[f.got:], b)
		f.got += n
		b = b[n:]
		if f.got < len(f.head) {
			continue
		}
		f.got = 0
		size := int(binary.BigEndian.Uint32(f.head[:4]) & 0xFFFFFF)
		f.left = max(size-4, 0)
		switch string(f.head[4:]) {
		case "\xfdSMB":
			f.encrypted++
		default:
			f.plain++
			plain++
		}
	}
	return plain
}

func (w *wire) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	w.mu.Lock()
	plain := w.in.feed(b[:n])
	sealed := w.sealed
	w.mu.Unlock()
	if plain > 0 && sealed {
		w.Conn.Close()
		return 0, errPlainText
	}
	return n, err
}

func (w *wire) Write(b []byte) (int, error) {
	w.mu.Lock()
	// Follow a copy: a refused message must not count as sent.
	probe := w.out
	plain := probe.feed(b)
	if plain > 0 && w.sealed {
		w.mu.Unlock()
		w.Conn.Close()
		return 0, errPlainText
	}
	w.out = probe
	w.mu.Unlock()
	return w.Conn.Write(b)
}

// counts reports the messages seen so far: plain and encrypted, each way.
func (w *wire) counts() (in, out frames) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.in, w.out
}

// seal makes every later plain message an error; unseal ends that, for
// the logoff of a session whose share alone is encrypted.
func (w *wire) seal(on bool) {
	w.mu.Lock()
	w.sealed = on
	w.mu.Unlock()
}
