//go:build !windows

package client_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"opensms/core/client"
	"opensms/core/protocol"
)

// TestReplayedInstructionsAreRefused is finding 1 of issue 14: save the
// instruction file, let the job be cancelled (the next file withdraws it),
// put the old file back. Before, the client accepted the genuinely signed
// old file and ran the cancelled package; now it refuses it as older than
// the newest it accepted, says so, and runs nothing, also after a restart.
func TestReplayedInstructionsAreRefused(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, nil))
	if len(s.poll()) != 1 {
		t.Fatal("the offer is not shown")
	}
	old := s.signedLast
	s.clock.Add(10 * 60e9)
	s.instruct() // the job was cancelled: the next file offers nothing
	if len(s.poll()) != 0 {
		t.Fatal("the withdrawn offer is still shown")
	}
	s.write("instructions/PC001.ins", old)
	s.refused(protocol.ErrStale)
	_, err := s.eng.Poll(context.Background())
	if err == nil || !strings.Contains(err.Error(), "older than number") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	if _, err := s.eng.Run(context.Background(), "S0100010", nil); !errors.Is(err, client.ErrNotOffered) {
		t.Fatalf("running the cancelled job from the replayed file: %v", err)
	}
	s.open() // a restart keeps the number
	s.refused(protocol.ErrStale)
	s.noStatus("S0100010")
}

// TestInstructionsPastTheirValidity: a file nobody signs again stops
// counting, whether polled again or only kept from the last poll.
func TestInstructionsPastTheirValidity(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	s.instruct(s.offer("S0100010", a, nil))
	if len(s.poll()) != 1 {
		t.Fatal("the offer is not shown")
	}
	s.clock.Add(protocol.DefaultValidity + 1e9)
	if len(s.eng.Offers()) != 0 {
		t.Error("offers kept from the last poll outlived their validity")
	}
	s.refused(protocol.ErrStale)
	if _, err := s.eng.Poll(context.Background()); err == nil || !strings.Contains(err.Error(), "is the site's watchdog running?") {
		t.Errorf("the refusal does not say why: %v", err)
	}
	s.instruct(s.offer("S0100010", a, nil)) // signed again: offered again
	if len(s.poll()) != 1 {
		t.Error("the offer is not shown from a file signed again")
	}
}

// TestInstructionsWithoutNumberAreRefused: a file from an older watchdog
// carries neither number nor validity.
func TestInstructionsWithoutNumberAreRefused(t *testing.T) {
	s := newSite(t)
	a := s.packScript("exit 0\n")
	data, err := protocol.EncodeInstructions(s.priv, protocol.Instructions{Site: "S01", Computer: "PC001", Generated: s.clock.Now(),
		Offers: []protocol.Offer{s.offer("S0100010", a, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	s.write("instructions/PC001.ins", data)
	s.refused(protocol.ErrStale)
}
