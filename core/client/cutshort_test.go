//go:build !windows

package client_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"

	"opensms/core/protocol"
)

// A first instruction file is created under its final name, so a poll may
// catch it while it is written: empty, cut short, or its end still zeros.
// The client takes such a file for an absent one (no error, the flat file
// read instead when there is one) and reads it whole at the next poll; a
// whole file that does not verify is still refused.
func TestInstructionFileBeingWrittenIsAbsent(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	sharded, err := protocol.InstructionsPath("PC001")
	if err != nil {
		t.Fatal(err)
	}
	whole := s.signed(s.priv, "PC001", s.offer("S0100010", a, nil), s.offer("S0100011", a, nil))
	for _, part := range [][]byte{nil, whole[:len(whole)/2], append(append([]byte{}, whole[:40]...), make([]byte, 200)...)} {
		s.write(sharded, part)
		if offers := s.poll(); len(offers) != 0 {
			t.Fatalf("a file of %d bytes being written offers %+v", len(part), offers)
		}
	}
	s.write(sharded, whole)
	if offers := s.poll(); len(offers) != 2 {
		t.Fatalf("the whole file offers %+v", offers)
	}

	// A computer moving to the sharded layout: its flat file is read while
	// the sharded one is written.
	s.instruct(s.offer("S0100012", a, nil))
	next := s.signed(s.priv, "PC001", s.offer("S0100012", a, nil), s.offer("S0100013", a, nil))
	s.write(sharded, next[:len(next)-10])
	if offers := s.poll(); len(offers) != 1 || offers[0].Job != "S0100012" {
		t.Fatalf("with the sharded file being written, the flat one offers %+v", offers)
	}
	s.write(sharded, next)
	if offers := s.poll(); len(offers) != 2 {
		t.Fatalf("the whole sharded file offers %+v", offers)
	}

	// Whole but signed by another key: refused, not waited for.
	_, other, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s.write(sharded, s.signed(other, "PC001"))
	s.refused(protocol.ErrWrongKey)
}
