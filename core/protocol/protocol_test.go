package protocol

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
)

// testKey returns a fixed key so that checked-in fuzz seeds stay valid.
func testKey(seed byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	return priv.Public().(ed25519.PublicKey), priv
}

func sampleInstructions() Instructions {
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	return Instructions{
		Site:      "S01",
		Computer:  "pc001",
		Generated: t0,
		Offers: []Offer{{
			Job:            "S0100003",
			Package:        "S0100012",
			PackageName:    "Office",
			PackageVersion: "4.3",
			Command: model.CommandLine{
				Name: "Typical", Command: "setup.exe /q", Automated: true,
				Platforms: []model.Platform{"windows/amd64"}, SuccessCodes: []int{0},
			},
			OfferAfter:     t0,
			MandatoryAfter: t0.Add(24 * time.Hour),
			Deferrals:      3,
			Archive:        strings.Repeat("ab", 32),
			ArchiveSize:    1234,
			Servers:        []ServerRef{{Name: "DIST1", URL: `\\dist1\SMS_PKG`}},
			Generation:     1,
		}},
	}
}

// envelopeOf decodes an encoded envelope so a test can tamper with it.
func envelopeOf(t testing.TB, data []byte) envelope {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

func marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signRaw signs arbitrary payload bytes, as a hostile or buggy writer holding
// the right key could.
func signRaw(priv ed25519.PrivateKey, format string, payload []byte) []byte {
	sig := ed25519.Sign(priv, signedMessage(format, payload))
	b, _ := json.Marshal(envelope{
		Format:    format,
		Key:       Fingerprint(priv.Public().(ed25519.PublicKey)),
		Payload:   base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(sig),
	})
	return b
}

type decodeCase struct {
	name    string
	data    []byte
	wantErr error  // nil: decodes
	wantMsg string // part of the sentence
}

// instructionCases are the table for DecodeInstructions; they double as
// fuzz seeds.
func instructionCases(t testing.TB) []decodeCase {
	pub, priv := testKey(1)
	_ = pub
	_, other := testKey(2)
	good, err := EncodeInstructions(priv, sampleInstructions())
	if err != nil {
		t.Fatal(err)
	}

	tamperedPayload := func() []byte {
		env := envelopeOf(t, good)
		p, _ := base64.StdEncoding.DecodeString(env.Payload)
		p = bytes.Replace(p, []byte("setup.exe /q"), []byte("format c: /q"), 1)
		env.Payload = base64.StdEncoding.EncodeToString(p)
		return marshal(t, env)
	}
	tamperedSig := func() []byte {
		env := envelopeOf(t, good)
		s, _ := base64.StdEncoding.DecodeString(env.Signature)
		s[10] ^= 1
		env.Signature = base64.StdEncoding.EncodeToString(s)
		return marshal(t, env)
	}
	noSig := func() []byte {
		env := envelopeOf(t, good)
		env.Signature = ""
		return marshal(t, env)
	}
	forgedKey := func() []byte {
		b, _ := EncodeInstructions(other, sampleInstructions())
		env := envelopeOf(t, b)
		env.Key = Fingerprint(pub)
		return marshal(t, env)
	}
	wrongKey, _ := EncodeInstructions(other, sampleInstructions())
	plain := marshal(t, normalInstructions(sampleInstructions()))

	newer := sampleInstructions()
	newer.Format = "opensms-instructions/2"
	newerEnv, err := Sign(priv, "opensms-instructions/2", newer)
	if err != nil {
		t.Fatal(err)
	}
	innerNewer := signRaw(priv, InstructionsFormat, marshal(t, newer))

	bad := func(mut func(*Instructions)) []byte {
		ins := normalInstructions(sampleInstructions())
		mut(&ins)
		return signRaw(priv, InstructionsFormat, marshal(t, ins))
	}

	return []decodeCase{
		{name: "good", data: good},
		{name: "tampered payload", data: tamperedPayload(), wantErr: ErrBadSignature, wantMsg: "instructions for PC001 were changed after signing"},
		{name: "tampered signature", data: tamperedSig(), wantErr: ErrBadSignature},
		{name: "wrong key", data: wrongKey, wantErr: ErrWrongKey, wantMsg: "instructions for PC001 are signed by key " + Fingerprint(other.Public().(ed25519.PublicKey)) + ", not the pinned site key " + Fingerprint(pub)},
		{name: "key field forged", data: forgedKey(), wantErr: ErrBadSignature},
		{name: "missing signature", data: noSig(), wantErr: ErrUnsigned, wantMsg: "instructions for PC001 are not signed"},
		{name: "plain json", data: plain, wantErr: ErrUnsigned},
		{name: "newer format", data: newerEnv, wantErr: ErrFormat, wantMsg: "newer than this version of OpenSMS reads"},
		{name: "newer inner format", data: innerNewer, wantErr: ErrFormat, wantMsg: "newer"},
		{name: "truncated", data: good[:len(good)/2], wantErr: ErrFormat, wantMsg: "not valid JSON"},
		{name: "empty", data: nil, wantErr: ErrFormat, wantMsg: "empty"},
		{name: "oversize", data: append(append([]byte{}, good...), bytes.Repeat([]byte(" "), MaxSignedSize)...), wantErr: ErrFormat, wantMsg: "more than"},
		{name: "bad archive", data: bad(func(i *Instructions) { i.Offers[0].Archive = "1234" }), wantErr: ErrFormat, wantMsg: "not a sha256"},
		{name: "negative size", data: bad(func(i *Instructions) { i.Offers[0].ArchiveSize = -1 }), wantErr: ErrFormat, wantMsg: "negative"},
		{name: "empty command", data: bad(func(i *Instructions) { i.Offers[0].Command.Command = " " }), wantErr: ErrFormat, wantMsg: "has no command"},
		{name: "no servers", data: bad(func(i *Instructions) { i.Offers[0].Servers = nil }), wantErr: ErrFormat, wantMsg: "no distribution server"},
		{name: "bad server url", data: bad(func(i *Instructions) { i.Offers[0].Servers[0].URL = "http://x/y" }), wantErr: ErrFormat, wantMsg: "server \"DIST1\""},
		{name: "bad site", data: bad(func(i *Instructions) { i.Site = "S0/" }), wantErr: ErrFormat, wantMsg: "site code"},
		{name: "computer with slash", data: bad(func(i *Instructions) { i.Computer = "../PC1" }), wantErr: ErrFormat, wantMsg: "computer name"},
		{name: "job offered twice", data: bad(func(i *Instructions) { i.Offers = append(i.Offers, i.Offers[0]) }), wantErr: ErrFormat, wantMsg: "offered twice"},
		{name: "job escapes", data: bad(func(i *Instructions) { i.Offers[0].Job = "..\\x" }), wantErr: ErrFormat, wantMsg: "job name"},
	}
}

func TestDecodeInstructions(t *testing.T) {
	pub, _ := testKey(1)
	for _, tc := range instructionCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			ins, err := DecodeInstructions(pub, tc.data)
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("DecodeInstructions: %v", err)
				}
				want := normalInstructions(sampleInstructions())
				if !reflect.DeepEqual(ins, want) {
					t.Fatalf("decoded\n%+v\nwant\n%+v", ins, want)
				}
				if ins.Computer != "PC001" {
					t.Fatalf("computer %q, want upper case", ins.Computer)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.wantErr)
			}
			for _, other := range []error{ErrUnsigned, ErrBadSignature, ErrWrongKey, ErrFormat} {
				if other != tc.wantErr && errors.Is(err, other) {
					t.Fatalf("error %v also wraps %v", err, other)
				}
			}
			if !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("error %q does not say %q", err, tc.wantMsg)
			}
		})
	}
}

func TestEncodeInstructionsDeterministic(t *testing.T) {
	_, priv := testKey(1)
	a, err := EncodeInstructions(priv, sampleInstructions())
	if err != nil {
		t.Fatal(err)
	}
	// The same instants in another zone are the same instructions.
	ins := sampleInstructions()
	zone := time.FixedZone("CET", 3600)
	ins.Generated = ins.Generated.In(zone)
	ins.Offers[0].OfferAfter = ins.Offers[0].OfferAfter.In(zone)
	b, err := EncodeInstructions(priv, ins)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatalf("same instructions encode differently:\n%s\n%s", a, b)
	}
	if ins.Offers[0].OfferAfter.Location() != zone {
		t.Fatal("EncodeInstructions changed the caller's offers")
	}
}

func TestEncodeInstructionsRefusesNonsense(t *testing.T) {
	_, priv := testKey(1)
	ins := sampleInstructions()
	ins.Offers[0].Archive = "not-a-hash"
	if _, err := EncodeInstructions(priv, ins); err == nil || !strings.Contains(err.Error(), "instructions for PC001") {
		t.Fatalf("EncodeInstructions = %v, want a sentence naming PC001", err)
	}
}

func TestInstructionsDigest(t *testing.T) {
	a := sampleInstructions()
	b := sampleInstructions()
	b.Generated = b.Generated.Add(time.Hour)
	if InstructionsDigest(a) != InstructionsDigest(b) {
		t.Fatal("digest changed with Generated alone")
	}
	b.Offers[0].Generation++
	if InstructionsDigest(a) == InstructionsDigest(b) {
		t.Fatal("digest did not change when an offer changed")
	}
	if d := InstructionsDigest(a); len(d) != 64 {
		t.Fatalf("digest %q is not hex sha256", d)
	}
}

func TestOpenGeneric(t *testing.T) {
	pub, priv := testKey(1)
	type thing struct{ A int }
	data, err := Sign(priv, "test-thing/1", thing{A: 7})
	if err != nil {
		t.Fatal(err)
	}
	var got thing
	if err := Open(pub, "test-thing/1", data, &got); err != nil || got.A != 7 {
		t.Fatalf("Open = %v, %+v", err, got)
	}
	if err := Open(pub, "other/1", data, &got); !errors.Is(err, ErrFormat) {
		t.Fatalf("Open with another format = %v, want ErrFormat", err)
	}
	// A payload signed as one format cannot be replayed as another: the
	// format is part of what is signed.
	env := envelopeOf(t, data)
	env.Format = "other/1"
	if err := Open(pub, "other/1", marshal(t, env), &got); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Open of a relabelled envelope = %v, want ErrBadSignature", err)
	}
}

func TestFingerprint(t *testing.T) {
	pub, _ := testKey(1)
	fp := Fingerprint(pub)
	if !strings.HasPrefix(fp, "SHA256:") || len(fp) != len("SHA256:")+43 {
		t.Fatalf("Fingerprint = %q", fp)
	}
	pub2, _ := testKey(2)
	if Fingerprint(pub2) == fp {
		t.Fatal("two keys, one fingerprint")
	}
}

func TestSite(t *testing.T) {
	pub, priv := testKey(1)
	_, other := testKey(2)
	si := SiteInfo{Code: "S01", Name: "Head office", Published: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	data, err := EncodeSite(priv, si)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSite(data)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(got.PublicKey) != Fingerprint(pub) || got.Code != "S01" || got.Format != SiteFormat {
		t.Fatalf("DecodeSite = %+v", got)
	}

	// Someone swaps the key in the payload: the self-signature no longer holds.
	env := envelopeOf(t, data)
	p, _ := base64.StdEncoding.DecodeString(env.Payload)
	var s SiteInfo
	_ = json.Unmarshal(p, &s)
	s.PublicKey = other.Public().(ed25519.PublicKey)
	env.Payload = base64.StdEncoding.EncodeToString(marshal(t, s))
	if _, err := DecodeSite(marshal(t, env)); !errors.Is(err, ErrWrongKey) && !errors.Is(err, ErrBadSignature) {
		t.Fatalf("DecodeSite with swapped key = %v", err)
	}

	si.PublicKey = other.Public().(ed25519.PublicKey)
	if _, err := EncodeSite(priv, si); err == nil {
		t.Fatal("EncodeSite signed a site.json naming another key")
	}
	si.PublicKey = nil
	si.Code = "TOOLONG"
	if _, err := EncodeSite(priv, si); err == nil || !strings.Contains(err.Error(), "site code") {
		t.Fatalf("EncodeSite with bad code = %v", err)
	}
	if _, err := DecodeSite([]byte(`{"format":"opensms-site/1","code":"S01"}`)); !errors.Is(err, ErrUnsigned) {
		t.Fatalf("DecodeSite of plain JSON = %v, want ErrUnsigned", err)
	}
}

func sampleStatus() Status {
	code := 3010
	return Status{
		Job: "S0100003", Computer: "pc001", Generation: 1, State: model.TargetComplete,
		ExitCode: &code, Reboot: model.RebootSoft, Attempts: 1,
		Started: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Finished: time.Date(2026, 3, 1, 9, 5, 0, 0, time.UTC),
		Written: time.Date(2026, 3, 1, 9, 5, 1, 0, time.UTC),
	}
}

// signEdited signs the JSON of v after replacing from with to in it, as a
// client that wrote nonsense would: the signature holds, the content not.
func signEdited(t *testing.T, priv ed25519.PrivateKey, format string, v any, from, to string) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Sign(priv, format, json.RawMessage(strings.Replace(string(b), from, to, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStatus(t *testing.T) {
	pub, priv := testKey(3)
	data, err := EncodeStatus(priv, sampleStatus())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeStatus(priv, sampleStatus())
	if !bytes.Equal(data, again) {
		t.Fatal("EncodeStatus is not deterministic")
	}
	got, err := DecodeStatus(pub, data)
	if err != nil {
		t.Fatal(err)
	}
	want := normalStatus(sampleStatus())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DecodeStatus = %+v, want %+v", got, want)
	}

	edit := func(from, to string) []byte { return signEdited(t, priv, StatusFormat, want, from, to) }
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"unknown state", edit(`"complete"`, `"exploded"`), "state \"exploded\""},
		{"unknown reboot", edit(`"soft"`, `"now"`), "reboot"},
		{"newer", edit(StatusFormat, "opensms-status/9"), "newer"},
		{"other format", edit(StatusFormat, "something"), "not opensms-status/1"},
		{"truncated", data[:len(data)-20], "not valid JSON"},
		{"oversize", append(bytes.Repeat([]byte(" "), MaxPlainSize), data...), "more than"},
		{"escaping job", edit(`"S0100003"`, `"../x"`), "job name"},
		{"empty", nil, "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeStatus(pub, tc.data)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("DecodeStatus = %v, want ErrFormat saying %q", err, tc.msg)
			}
		})
	}
	// Who wrote it: only the computer's own key counts.
	_, other := testKey(4)
	forged, _ := EncodeStatus(other, sampleStatus())
	plain, _ := json.Marshal(want)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"signed by another computer", forged, ErrWrongKey},
		{"plain JSON", plain, ErrUnsigned},
		{"edited after signing", bytes.Replace(data, []byte(`"signature": "`), []byte(`"signature": "AA`), 1), ErrBadSignature},
	} {
		if _, err := DecodeStatus(pub, tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: DecodeStatus = %v, want %v", tc.name, err, tc.want)
		}
	}
	bad := sampleStatus()
	bad.State = "weird"
	if _, err := EncodeStatus(priv, bad); err == nil {
		t.Fatal("EncodeStatus wrote an unknown state")
	}
}

func TestInventory(t *testing.T) {
	pub, priv := testKey(5)
	inv := Inventory{Inventory: model.Inventory{
		Computer: "pc001", Site: "S01", OS: "windows", Arch: "amd64", OSVersion: "10.0.26100",
		ClientVersion: "0.1", FreeDisk: 1 << 40, Time: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
	}}
	data, err := EncodeInventory(priv, inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeInventory(data)
	if err != nil {
		t.Fatal(err)
	}
	inv.PublicKey = pub
	if !reflect.DeepEqual(got, normalInventory(inv)) {
		t.Fatalf("DecodeInventory = %+v", got)
	}
	payload, _ := json.Marshal(got)
	if !bytes.Contains(payload, []byte(`"computer":"PC001"`)) || !bytes.Contains(payload, []byte(`"format":"opensms-inventory/1"`)) {
		t.Fatalf("inventory JSON is not flat or not canonical:\n%s", payload)
	}
	for _, bad := range [][]byte{
		signEdited(t, priv, InventoryFormat, got, "PC001", "PC/001"),
		signEdited(t, priv, InventoryFormat, got, InventoryFormat, "opensms-inventory/2"),
		signEdited(t, priv, InventoryFormat, got, `"S01"`, `"S0001"`),
		append(bytes.Repeat([]byte("\n"), MaxPlainSize+1), data...),
	} {
		if _, err := DecodeInventory(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("DecodeInventory(%.60q) = %v, want ErrFormat", bad, err)
		}
	}
	// Signed by a key other than the one it carries, or not signed.
	_, other := testKey(6)
	swapped := signEdited(t, other, InventoryFormat, got, "", "")
	plain, _ := json.Marshal(got)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"signed by another key", swapped, ErrWrongKey},
		{"plain JSON", plain, ErrUnsigned},
	} {
		if _, err := DecodeInventory(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: DecodeInventory = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	sha := strings.Repeat("0f", 32)
	for _, tc := range []struct {
		name string
		fn   func() (string, error)
		want string // "" means refused
	}{
		{"instructions", func() (string, error) { return InstructionsPath("pc001") }, "instructions/" + shardOf("PC001") + "/PC001.ins"},
		{"instructions, flat", func() (string, error) { return InstructionsPathIn(LayoutFlat, "pc001") }, "instructions/PC001.ins"},
		{"instructions, sharded", func() (string, error) { return InstructionsPathIn(LayoutSharded, "pc001") }, "instructions/" + shardOf("PC001") + "/PC001.ins"},
		{"instructions, flat, slash", func() (string, error) { return InstructionsPathIn(LayoutFlat, "a/b") }, ""},
		{"status dir", func() (string, error) { return StatusDirPath("Pc001") }, "status/PC001"},
		{"status", func() (string, error) { return StatusPath("pc001", "S0100003") }, "status/PC001/S0100003.json"},
		{"inventory", func() (string, error) { return InventoryPath("pc001") }, "inventory/PC001.json"},
		{"archive", func() (string, error) { return ArchivePath("S0100012", sha) }, "S0100012/" + sha + ".tzst"},
		{"share tree", func() (string, error) { return ShareTreePath("S0100012") }, "S0100012/share"},
		{"shared tree, no share name", func() (string, error) { return SharedTreePath("S0100012", "") }, "S0100012/share"},
		{"shared tree under its share name", func() (string, error) { return SharedTreePath("S0100012", "TOOLS") }, "TOOLS"},
		{"slash", func() (string, error) { return InstructionsPath("a/b") }, ""},
		{"backslash", func() (string, error) { return InventoryPath(`a\b`) }, ""},
		{"dotdot", func() (string, error) { return StatusDirPath("..") }, ""},
		{"dotdot inside", func() (string, error) { return StatusPath("pc1", "x..y") }, ""},
		{"empty", func() (string, error) { return InstructionsPath("") }, ""},
		{"nul", func() (string, error) { return InstructionsPath("a\x00b") }, ""},
		{"job slash", func() (string, error) { return StatusPath("pc1", "a/b") }, ""},
		{"bad sha", func() (string, error) { return ArchivePath("S0100012", strings.ToUpper(sha)) }, ""},
		{"bad pkg", func() (string, error) { return ArchivePath("../S01", sha) }, ""},
		{"share pkg", func() (string, error) { return ShareTreePath(`S01\..`) }, ""},
		{"share name escapes", func() (string, error) { return SharedTreePath("S0100012", "..") }, ""},
		{"share name with a slash", func() (string, error) { return SharedTreePath("S0100012", "a/b") }, ""},
		{"share name of a package", func() (string, error) { return SharedTreePath("S0100012", "s0100003") }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.fn()
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, want a refusal", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestEmptyInstructions(t *testing.T) {
	pub, priv := testKey(1)
	data, err := EncodeInstructions(priv, Instructions{Site: "S01", Computer: "pc002"})
	if err != nil {
		t.Fatal(err)
	}
	env := envelopeOf(t, data)
	payload, _ := base64.StdEncoding.DecodeString(env.Payload)
	if !bytes.Contains(payload, []byte(`"offers":[]`)) {
		t.Fatalf("payload %s does not say offers: []", payload)
	}
	ins, err := DecodeInstructions(pub, data)
	if err != nil || ins.Offers == nil || len(ins.Offers) != 0 || ins.Computer != "PC002" {
		t.Fatalf("DecodeInstructions = %+v, %v", ins, err)
	}
	if InstructionsDigest(Instructions{Site: "S01", Computer: "PC002", Offers: []Offer{}}) != InstructionsDigest(Instructions{Site: "S01", Computer: "pc002"}) {
		t.Fatal("nil and empty offers digest differently")
	}
}
