package smbfs_test

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"testing"
)

// tap is a TCP forwarder in front of a server that reads the SMB traffic
// as it passes: connections, requests (each command of a compound counts),
// and the server's interim STATUS_PENDING answers. Encrypted messages are
// counted, not opened.
type tap struct {
	ln net.Listener
	wg sync.WaitGroup

	mu        sync.Mutex
	conns     int
	requests  int
	pending   int // interim answers of asynchronous operations
	signed    int // plain answers with SMB2_FLAGS_SIGNED
	encrypted int // messages under the transform header, both ways
}

func newTap(t testing.TB, target string) *tap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &tap{ln: ln}
	c.wg.Add(1)
	go func() { // owned by the test: ends when Cleanup closes ln
		defer c.wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			c.mu.Lock()
			c.conns++
			c.mu.Unlock()
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			c.wg.Add(2)
			go func() { defer c.wg.Done(); c.pipe(out, in, true); out.Close() }()
			go func() { defer c.wg.Done(); c.pipe(in, out, false); in.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); c.wg.Wait() })
	return c
}

func (c *tap) port() int { return c.ln.Addr().(*net.TCPAddr).Port }

// pipe copies direct-TCP frames from src to dst and reads each one.
func (c *tap) pipe(dst io.Writer, src io.Reader, fromClient bool) {
	var head [4]byte
	for {
		if _, err := io.ReadFull(src, head[:]); err != nil {
			return
		}
		msg := make([]byte, binary.BigEndian.Uint32(head[:])&0xFFFFFF)
		if _, err := io.ReadFull(src, msg); err != nil {
			return
		}
		c.read(msg, fromClient)
		if _, err := dst.Write(append(head[:], msg...)); err != nil {
			return
		}
	}
}

func (c *tap) read(msg []byte, fromClient bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(msg) >= 4 && string(msg[:4]) == "\xfdSMB" {
		c.encrypted++
		return
	}
	for len(msg) >= 64 && string(msg[:4]) == "\xfeSMB" {
		if fromClient {
			c.requests++
		} else {
			if binary.LittleEndian.Uint32(msg[8:]) == 0x00000103 { // STATUS_PENDING
				c.pending++
			}
			if binary.LittleEndian.Uint32(msg[16:])&0x8 != 0 {
				c.signed++
			}
		}
		next := binary.LittleEndian.Uint32(msg[20:])
		if next == 0 || int(next) > len(msg) {
			return
		}
		msg = msg[next:]
	}
}

// counts returns connections, requests, interim answers, signed answers
// and encrypted messages so far.
func (c *tap) counts() (conns, requests, pending, signed, encrypted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conns, c.requests, c.pending, c.signed, c.encrypted
}
