package model

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
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

// A Secret never prints its value, through any fmt verb, nested in a struct
// or behind a pointer, in an error, in a log line or as JSON; JSON written
// by OpenSMS reads back as a secret that is set and reveals nothing, while
// a real password in JSON reads back as itself.
func TestSecretNeverPrints(t *testing.T) {
	const pw = "Hunter2-pw"
	s := NewSecret(pw)
	type server struct {
		Name     string
		Password Secret
	}
	srv := server{Name: "dist1", Password: s}
	hexes := []string{hex.EncodeToString([]byte(pw)), strings.ToUpper(hex.EncodeToString([]byte(pw)))}
	leaks := func(out string) bool {
		if strings.Contains(out, pw) {
			return true
		}
		for _, h := range hexes {
			if strings.Contains(out, h) {
				return true
			}
		}
		return false
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-12v"} {
		for what, arg := range map[string]any{"secret": s, "pointer": &s, "struct": srv, "struct pointer": &srv, "slice": []Secret{s}} {
			out := fmt.Sprintf(verb, arg)
			if leaks(out) {
				t.Errorf("%s of a %s: %q holds the password", verb, what, out)
			}
			if what == "secret" && !strings.Contains(out, secretMask) {
				t.Errorf("%s of a secret: %q shows no mask", verb, out)
			}
		}
	}
	if out := s.String() + s.GoString() + fmt.Errorf("logging on: %v", s).Error() + fmt.Sprint(s) + fmt.Sprintln(srv); leaks(out) {
		t.Errorf("String, GoString, an error or Sprint: %q holds the password", out)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("push", "password", s, "server", srv)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("push", "password", s, "server", srv)
	if leaks(logs.String()) || !strings.Contains(logs.String(), secretMask) {
		t.Errorf("log lines: %s", logs.String())
	}

	// JSON out: the mask, never the value.
	b, err := json.Marshal(srv)
	if err != nil {
		t.Fatal(err)
	}
	if leaks(string(b)) || !strings.Contains(string(b), `"Password":"`+secretMask+`"`) {
		t.Fatalf("JSON of a server: %s", b)
	}
	// JSON in: the mask reads back as set and revealing nothing, and
	// never as the password "********".
	var back server
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Password.IsZero() || back.Password.Reveal() != "" || back.Password.String() != secretMask {
		t.Fatalf("the mask read back: zero %v, reveals %q, prints %q", back.Password.IsZero(), back.Password.Reveal(), back.Password)
	}
	if b2, _ := json.Marshal(back); string(b2) != string(b) {
		t.Fatalf("the mask read back writes %s, want %s", b2, b)
	}
	// A password given as JSON (a request to set it) reads as itself.
	var in server
	if err := json.Unmarshal([]byte(`{"Name":"dist1","Password":"`+pw+`"}`), &in); err != nil || in.Password.Reveal() != pw {
		t.Fatalf("a password in JSON: reveals %q, %v", in.Password.Reveal(), err)
	}
	var empty Secret
	if out := fmt.Sprintf("%v|%s|%#v", empty, empty, empty); strings.Contains(out, secretMask) {
		t.Errorf("an empty secret prints a mask: %q", out)
	}
}
