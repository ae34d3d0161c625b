package protocol

import (
	"crypto/sha256"
	"fmt"
	"testing"
)

func TestInstructionsShard(t *testing.T) {
	// The shard is the share format: a client and a watchdog of other
	// versions must agree on it byte for byte.
	sum := sha256.Sum256([]byte("PC001"))
	want := fmt.Sprintf("%02x", sum[0])
	for _, name := range []string{"PC001", "pc001", "Pc001"} {
		if got, err := InstructionsShard(name); err != nil || got != want {
			t.Errorf("InstructionsShard(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := InstructionsShard("a/b"); err == nil {
		t.Error("InstructionsShard took a name with a slash")
	}
	// 10,000 computers spread over every shard, none holding many.
	count := map[string]int{}
	for i := range 10000 {
		s, _ := InstructionsShard(fmt.Sprintf("PC%05d", i))
		if !IsInstructionsShard(s) {
			t.Fatalf("shard %q is not two lower-case hex digits", s)
		}
		count[s]++
	}
	most := 0
	for _, n := range count {
		most = max(most, n)
	}
	if len(count) != 256 || most > 80 {
		t.Errorf("10,000 computers in %d shards, at most %d in one; want 256 shards of about 39", len(count), most)
	}
}

func TestInstructionsComputer(t *testing.T) {
	shard := shardOf("PC001")
	other := "00"
	if shard == other {
		other = "01"
	}
	for _, tc := range []struct {
		shard, name, want string // want "" means not an instruction file
	}{
		{"", "PC001.ins", "PC001"},
		{"", "pc001.ins", "PC001"},
		{shard, "PC001.ins", "PC001"},
		{other, "PC001.ins", ""}, // in a shard its name does not hash to
		{"", "PC001.ins.tmp-0123456789abcdef", ""},
		{"", "PC001.json", ""},
		{"", ".ins", ""},
		{"", "a..b.ins", ""},
		{"", "CON.ins", ""},
	} {
		got, ok := InstructionsComputer(tc.shard, tc.name)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("InstructionsComputer(%q, %q) = %q, %v; want %q", tc.shard, tc.name, got, ok, tc.want)
		}
	}
	for name, want := range map[string]bool{"00": true, "ff": true, "a9": true, "FF": false, "0": false, "000": false, "g0": false, ".staging": false} {
		if IsInstructionsShard(name) != want {
			t.Errorf("IsInstructionsShard(%q) = %v", name, !want)
		}
	}
}
