package model

import (
	"encoding/json"
	"testing"
)

func TestSecretReadBackFromItsMaskIsSetButRevealsNothing(t *testing.T) {
	b, err := json.Marshal(NewSecret("pw"))
	if err != nil {
		t.Fatal(err)
	}
	var s Secret
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	if s.IsZero() || s.Reveal() != "" || s.String() != "********" {
		t.Fatalf("a secret read from its mask: zero %v, reveals %q, prints %q", s.IsZero(), s.Reveal(), s.String())
	}
	var none Secret
	if err := json.Unmarshal([]byte(`""`), &none); err != nil || !none.IsZero() {
		t.Fatalf("no secret read back: %v, zero %v", err, none.IsZero())
	}
}
