package protocol

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// maxSeed keeps the oversize case out of the fuzz corpus: the fuzzer's
// mutator stalls on multi-megabyte inputs.
const maxSeed = 64 << 10

// FuzzDecodeInstructions feeds arbitrary bytes both as a whole file and as
// the payload of an envelope signed with the right key, so the fuzzer
// reaches the checks behind the signature. Nothing may panic, every error
// must wrap one of the four sentinels, and whatever decodes must encode and
// decode again to the same value.
func FuzzDecodeInstructions(f *testing.F) {
	for _, tc := range instructionCases(f) {
		if len(tc.data) <= maxSeed {
			f.Add(tc.data)
		}
	}
	pub, priv := testKey(1)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, in := range [][]byte{data, signRaw(priv, InstructionsFormat, data)} {
			ins, err := DecodeInstructions(pub, in)
			if err != nil {
				if !errors.Is(err, ErrUnsigned) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrFormat) {
					t.Fatalf("error %v wraps none of the protocol errors", err)
				}
				continue
			}
			again, err := EncodeInstructions(priv, ins)
			if err != nil {
				t.Fatalf("decoded %+v but cannot encode it: %v", ins, err)
			}
			ins2, err := DecodeInstructions(pub, again)
			if err != nil {
				t.Fatalf("re-encoded instructions do not decode: %v", err)
			}
			if !reflect.DeepEqual(ins, ins2) {
				t.Fatalf("round trip changed the instructions:\n%+v\n%+v", ins, ins2)
			}
		}
	})
}

// TestWriteFuzzSeeds refreshes testdata/fuzz/FuzzDecodeInstructions from
// the decode table when OPENSMS_WRITE_SEEDS=1, so the checked-in corpus
// keeps matching the cases (the signatures need the fixed test key).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("OPENSMS_WRITE_SEEDS") != "1" {
		t.Skip("set OPENSMS_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeInstructions")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range instructionCases(t) {
		if len(tc.data) > maxSeed {
			continue
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", tc.data)
		name := strings.ReplaceAll(tc.name, " ", "-")
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
