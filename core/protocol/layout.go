package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
)

// Instruction file layouts on the site share. The layout is part of the
// share format, versioned by these numbers:
//
//   - LayoutFlat (1): instructions/<COMPUTER>.ins. Every client reads it.
//   - LayoutSharded (2): instructions/<SHARD>/<COMPUTER>.ins, where SHARD is
//     the first byte of the SHA-256 of the computer's name on the share
//     (upper case) as two lower-case hex digits: 256 folders, so that no
//     folder holds thousands of names. A server that compares names without
//     regard to case (Samba's default) reads a whole folder to make sure a
//     new name is new; in one folder of 10,000 that search was most of the
//     first watchdog cycle.
//
// A client that reads LayoutSharded says so in its signed inventory
// (model.Inventory.InstructionsLayout), and reads its sharded file first,
// its flat file when there is none. The watchdog writes a computer's file
// sharded unless the computer's last inventory came from a client that did
// not say so (an older client, which reads only the flat file); when a
// computer's layout changes it writes the new file, then removes the other.
// The file's content, signature, number and validity are the same in both.
const (
	LayoutFlat    = 1
	LayoutSharded = 2
	// InstructionsLayout is the newest layout this version reads.
	InstructionsLayout = LayoutSharded
)

// InstructionsShard is the folder under instructions/ that holds a
// computer's file in LayoutSharded.
func InstructionsShard(computer string) (string, error) {
	c, err := ComputerName(computer)
	if err != nil {
		return "", err
	}
	return shardOf(c), nil
}

func shardOf(c string) string {
	sum := sha256.Sum256([]byte(c))
	return hex.EncodeToString(sum[:1])
}

// IsInstructionsShard reports whether name (a folder in instructions/) is
// the name of a shard: two lower-case hex digits.
func IsInstructionsShard(name string) bool {
	return len(name) == 2 && isLowerHex(name[0]) && isLowerHex(name[1])
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// InstructionsPathIn is where a computer's instruction file is in layout
// (LayoutFlat or LayoutSharded; any other number is LayoutSharded).
func InstructionsPathIn(layout int, computer string) (string, error) {
	c, err := ComputerName(computer)
	if err != nil {
		return "", err
	}
	if layout == LayoutFlat {
		return path.Join(InstructionsDir, c+InstructionsExt), nil
	}
	return path.Join(InstructionsDir, shardOf(c), c+InstructionsExt), nil
}

// InstructionsComputer returns the computer whose instruction file is
// named name in shard (LayoutSharded; "" for LayoutFlat), or false when
// name is no instruction file there: another extension, a temporary
// name, or a file in a shard its computer does not hash to (a client never
// reads it).
func InstructionsComputer(shard, name string) (string, bool) {
	base, ok := strings.CutSuffix(name, InstructionsExt)
	if !ok || base == "" || strings.Contains(base, ".tmp-") {
		return "", false
	}
	c, err := ComputerName(base)
	if err != nil {
		return "", false
	}
	if shard != "" && shardOf(c) != shard {
		return "", false
	}
	return c, true
}

// InstructionsExt ends every instruction file's name.
const InstructionsExt = ".ins"
