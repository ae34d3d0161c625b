package protocol

import (
	"bytes"
	"testing"
)

func TestCutShort(t *testing.T) {
	pub, priv := testKey(1)
	whole, err := EncodeInstructions(priv, sampleInstructions())
	if err != nil {
		t.Fatal(err)
	}
	if CutShort(whole) {
		t.Fatal("a whole signed file is taken for one cut short")
	}
	// Every part of the file a reader may catch while it is written: its
	// beginning, alone or followed by the zeros of what is not written yet
	// (up to its closing brace: the newline after it does not matter).
	for n := 0; n < len(bytes.TrimSpace(whole)); n++ {
		part := whole[:n]
		padded := append(append([]byte{}, part...), make([]byte, len(whole)-n)...)
		for _, b := range [][]byte{part, padded} {
			if !CutShort(b) {
				t.Fatalf("the first %d of %d bytes are not taken for a file cut short", n, len(whole))
			}
			if _, err := DecodeInstructions(pub, b); err == nil {
				t.Fatalf("the first %d of %d bytes decode", n, len(whole))
			}
		}
	}
	// Whole files that are wrong are refused as before, not waited for.
	_, other := testKey(2)
	otherKey, err := EncodeInstructions(other, sampleInstructions())
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"another key":      otherKey,
		"not JSON":         []byte("this is not an instruction file"),
		"JSON then zeros":  append(append([]byte{}, whole...), 0, 0, 0),
		"a stray brace":    []byte("}"),
		"a complete value": []byte(`{"format":"x"}`),
	} {
		if CutShort(b) {
			t.Errorf("%s: taken for a file cut short", name)
		}
	}
}
