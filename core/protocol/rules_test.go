package protocol

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"opensms/core/model"
)

func TestRulesRoundTrip(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	pub := priv.Public().(ed25519.PublicKey)
	r := Rules{Site: "s01", Packages: []PackageRules{
		{Package: "S0100002", Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "/opt/b"}}},
		{Package: "S0100001", Detection: []model.DetectionRule{{Kind: model.RuleFileExists, Path: "/opt/a"}}, DetectionLogic: "1"},
	}}
	data, err := EncodeRules(priv, r)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeRules(priv, Rules{Site: "S01", Packages: []PackageRules{r.Packages[1], r.Packages[0]}})
	if string(again) != string(data) {
		t.Fatal("the same rules in another order signed to other bytes")
	}
	got, err := DecodeRules(pub, data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Site != "S01" || len(got.Packages) != 2 || got.Packages[0].Package != "S0100001" || got.Packages[1].Detection[0].Path != "/opt/b" {
		t.Fatalf("got %+v", got)
	}
	_, other, _ := ed25519.GenerateKey(nil)
	forged, _ := EncodeRules(other, r)
	if _, err := DecodeRules(pub, forged); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("rules signed by another key: %v", err)
	}
	edited := []byte(string(data[:len(data)-30]) + "x" + string(data[len(data)-29:]))
	if _, err := DecodeRules(pub, edited); err == nil {
		t.Fatal("an edited rules file was accepted")
	}
	if _, err := EncodeRules(priv, Rules{Site: "S01", Packages: []PackageRules{{Package: "../x"}}}); err == nil {
		t.Fatal("a package ID naming another folder was accepted")
	}
	if _, err := EncodeRules(priv, Rules{Site: "S01", Packages: []PackageRules{{Package: "A"}, {Package: "A"}}}); err == nil {
		t.Fatal("a package listed twice was accepted")
	}
}
