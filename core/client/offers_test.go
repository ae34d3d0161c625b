package client

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
)

var (
	t0        = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	linux     = model.Platform("linux/amd64")
	hashA     = strings.Repeat("ab", 32)
	testSrv   = []protocol.ServerRef{{Name: "S01/DIST1", URL: "smb://dist1/SMS_PKG"}}
	automated = model.CommandLine{Name: "Install", Command: "./install.sh", Platforms: []model.Platform{linux}, Automated: true}
)

// offer builds a valid offer; change returns it altered.
func offer(job string, change func(o *protocol.Offer)) protocol.Offer {
	o := protocol.Offer{
		Job: job, Package: "S0100001", PackageName: "Tool", Command: automated,
		OfferAfter: t0.Add(-time.Hour), Archive: hashA, ArchiveSize: 10, Servers: testSrv,
		Generation: 1, Deferrals: 3,
	}
	if change != nil {
		change(&o)
	}
	return o
}

type offerCase struct {
	name     string
	offer    protocol.Offer
	slowLink bool
	run      *RunRecord
	running  bool
	// want: the shown state, or "" for not shown with reason drop.
	want      OfferState
	drop      DropReason
	mandatory bool
	dueAt     time.Time
	left      int
}

func offerCases() []offerCase {
	return []offerCase{
		{name: "plain offer", offer: offer("S0100010", nil), want: OfferAvailable, left: 3},
		{name: "offer time ahead", offer: offer("S0100010", func(o *protocol.Offer) { o.OfferAfter = t0.Add(time.Minute) }), drop: DropNotYet},
		{name: "offer time exactly now", offer: offer("S0100010", func(o *protocol.Offer) { o.OfferAfter = t0 }), want: OfferAvailable, left: 3},
		{name: "expired", offer: offer("S0100010", func(o *protocol.Offer) { o.ExpiresAfter = t0.Add(-time.Second) }), drop: DropExpired},
		{name: "expires exactly now", offer: offer("S0100010", func(o *protocol.Offer) { o.ExpiresAfter = t0 }), drop: DropExpired},
		{name: "expires later", offer: offer("S0100010", func(o *protocol.Offer) { o.ExpiresAfter = t0.Add(time.Second) }), want: OfferAvailable, left: 3},
		{name: "another platform", offer: offer("S0100010", func(o *protocol.Offer) { o.Command.Platforms = []model.Platform{"windows/amd64"} }), drop: DropPlatform},
		{name: "one of several platforms", offer: offer("S0100010", func(o *protocol.Offer) { o.Command.Platforms = []model.Platform{"windows/amd64", linux} }), want: OfferAvailable, left: 3},
		{name: "any platform", offer: offer("S0100010", func(o *protocol.Offer) { o.Command.Platforms, o.Command.AnyPlatform = nil, true }), want: OfferAvailable, left: 3},
		{name: "running stays though expired", offer: offer("S0100010", func(o *protocol.Offer) { o.ExpiresAfter = t0.Add(-time.Second) }), running: true, want: OfferRunning, left: 3},
		{name: "mandatory time passed", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-time.Minute) }),
			want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "mandatory time exactly now", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0 }),
			want: OfferDue, mandatory: true, dueAt: t0, left: 3},
		{name: "mandatory time ahead", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(time.Hour) }),
			want: OfferAvailable, mandatory: true, dueAt: t0.Add(time.Hour), left: 3},
		{name: "slow link excuses", offer: offer("S0100010", func(o *protocol.Offer) {
			o.MandatoryAfter = t0.Add(-time.Minute)
			o.NotMandatoryOverSlowLinks = true
		}), slowLink: true, want: OfferAvailable, left: 3},
		{name: "slow link flag on a fast link", offer: offer("S0100010", func(o *protocol.Offer) {
			o.MandatoryAfter = t0.Add(-time.Minute)
			o.NotMandatoryOverSlowLinks = true
		}), want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "slow link without the flag", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-time.Minute) }),
			slowLink: true, want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "ran in this generation", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-time.Minute) }),
			run: &RunRecord{Job: "S0100010", Generation: 1, Ran: true, State: model.TargetComplete}, want: OfferComplete, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "failed in this generation", offer: offer("S0100010", nil),
			run: &RunRecord{Job: "S0100010", Generation: 1, Ran: true, State: model.TargetFailed}, want: OfferFailed, left: 3},
		{name: "interrupted run is due again", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-time.Minute) }),
			run: &RunRecord{Job: "S0100010", Generation: 1, Attempts: 1, State: model.TargetRetrying}, want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "offered again in a new generation", offer: offer("S0100010", func(o *protocol.Offer) { o.Generation = 2; o.MandatoryAfter = t0.Add(-time.Minute) }),
			run:  &RunRecord{Job: "S0100010", Generation: 1, Ran: true, State: model.TargetComplete, DeferralsUsed: 3, DeferredUntil: t0.Add(time.Hour)},
			want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Minute), left: 3},
		{name: "an older generation replayed", offer: offer("S0100010", func(o *protocol.Offer) { o.Generation = 1 }),
			run: &RunRecord{Job: "S0100010", Generation: 2, Ran: true, State: model.TargetComplete}, want: OfferComplete, left: 3},
		{name: "deferred", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-time.Minute) }),
			run:  &RunRecord{Job: "S0100010", Generation: 1, DeferralsUsed: 1, DeferredUntil: t0.Add(time.Hour)},
			want: OfferAvailable, mandatory: true, dueAt: t0.Add(time.Hour), left: 2},
		{name: "deferral over", offer: offer("S0100010", func(o *protocol.Offer) { o.MandatoryAfter = t0.Add(-2 * time.Hour) }),
			run:  &RunRecord{Job: "S0100010", Generation: 1, DeferralsUsed: 3, DeferredUntil: t0.Add(-time.Hour)},
			want: OfferDue, mandatory: true, dueAt: t0.Add(-time.Hour), left: 0},
		{name: "needs input", offer: offer("S0100010", func(o *protocol.Offer) { o.Command.Automated = false }), want: OfferAvailable, left: 3},
		{name: "bad archive hash", offer: offer("S0100010", func(o *protocol.Offer) { o.Archive = "ABC" }), drop: DropInvalid},
		{name: "job id that is a path", offer: offer("../S0100010", nil), drop: DropInvalid},
		{name: "package id that is a path", offer: offer("S0100010", func(o *protocol.Offer) { o.Package = "../../etc" }), drop: DropInvalid},
	}
}

func (c offerCase) input() offerInput {
	in := offerInput{
		Instructions: &protocol.Instructions{Format: protocol.InstructionsFormat, Site: "S01", Computer: "PC001", Offers: []protocol.Offer{c.offer}},
		Now:          t0, Platform: linux, SlowLink: c.slowLink,
		Runs: map[string]RunRecord{}, Running: map[string]bool{c.offer.Job: c.running},
	}
	if c.run != nil {
		in.Runs[c.run.Job] = *c.run
	}
	return in
}

func TestComputeOffers(t *testing.T) {
	for _, c := range offerCases() {
		t.Run(c.name, func(t *testing.T) {
			offers, dropped := computeOffers(c.input())
			if c.want == "" {
				if len(offers) != 0 || len(dropped) != 1 || dropped[0].Reason != c.drop {
					t.Fatalf("want dropped for %s; got offers %+v, dropped %+v", c.drop, offers, dropped)
				}
				if dropped[0].Detail == "" {
					t.Error("dropped without a sentence")
				}
				return
			}
			if len(offers) != 1 || len(dropped) != 0 {
				t.Fatalf("want one offer; got %+v, dropped %+v", offers, dropped)
			}
			o := offers[0]
			if o.State != c.want || o.Mandatory != c.mandatory || !o.DueAt.Equal(c.dueAt) || o.DeferralsLeft != c.left {
				t.Errorf("got state %s mandatory %v due %v left %d; want %s %v %v %d",
					o.State, o.Mandatory, o.DueAt, o.DeferralsLeft, c.want, c.mandatory, c.dueAt, c.left)
			}
			if o.NeedsInput == o.Command.Automated {
				t.Errorf("NeedsInput %v for automated %v", o.NeedsInput, o.Command.Automated)
			}
		})
	}
}

func TestDuplicateJobCountsOnce(t *testing.T) {
	in := offerCases()[0].input()
	in.Instructions.Offers = append(in.Instructions.Offers, offer("S0100010", func(o *protocol.Offer) { o.Generation = 5 }))
	offers, dropped := computeOffers(in)
	if len(offers) != 1 || offers[0].Generation != 1 || len(dropped) != 1 || dropped[0].Reason != DropDuplicate {
		t.Fatalf("got %+v, dropped %+v", offers, dropped)
	}
}

func TestDueOffers(t *testing.T) {
	mk := func(job string, due time.Duration, automated bool) Offer {
		return Offer{Offer: protocol.Offer{Job: job}, State: OfferDue, DueAt: t0.Add(due), NeedsInput: !automated}
	}
	offers := []Offer{mk("S0100030", -time.Minute, true), mk("S0100010", -time.Hour, false), mk("S0100020", -time.Hour, true),
		{Offer: protocol.Offer{Job: "S0100040"}, State: OfferAvailable}}
	jobs := func(os []Offer) string {
		var s []string
		for _, o := range os {
			s = append(s, o.Job)
		}
		return strings.Join(s, ",")
	}
	offers[0].Command.Background = true
	if got := jobs(dueOffers(offers, func(Offer) bool { return true })); got != "S0100010,S0100020,S0100030" {
		t.Errorf("all due: %s", got)
	}
	if got := jobs(dueOffers(offers, func(o Offer) bool { return !o.NeedsInput })); got != "S0100020,S0100030" {
		t.Errorf("automated due: %s", got)
	}
	if got := jobs(dueOffers(offers, Unattended)); got != "S0100030" {
		t.Errorf("unattended due: %s", got)
	}
}

func TestMapExit(t *testing.T) {
	custom := model.CommandLine{SuccessCodes: []int{0, 2}, SoftRebootCodes: []int{7}, HardRebootCodes: []int{8}}
	cases := []struct {
		c      model.CommandLine
		code   int
		state  model.TargetState
		reboot model.Reboot
	}{
		{model.CommandLine{}, 0, model.TargetComplete, model.RebootNone},
		{model.CommandLine{}, 1, model.TargetFailed, model.RebootNone},
		{model.CommandLine{}, 3010, model.TargetComplete, model.RebootSoft},
		{model.CommandLine{}, 1641, model.TargetComplete, model.RebootHard},
		{custom, 2, model.TargetComplete, model.RebootNone},
		{custom, 7, model.TargetComplete, model.RebootSoft},
		{custom, 8, model.TargetComplete, model.RebootHard},
		{custom, 3010, model.TargetFailed, model.RebootNone},
	}
	for _, c := range cases {
		s, r := mapExit(c.c, c.code)
		if s != c.state || r != c.reboot {
			t.Errorf("exit %d with %+v: got %s/%q, want %s/%q", c.code, c.c, s, r, c.state, c.reboot)
		}
	}
}

// FuzzOffers drives what Poll does with an instruction file: the fuzzer
// writes the instructions' JSON, the test signs it as a site would, then
// verifies it with the pinned key and computes the offers, with a fuzzed
// clock and link. flip, when not zero, changes one byte of the signed file,
// which must then be refused or mean the same. Whatever comes in, no offer
// is shown that is not due to be shown. The seeds are the table's cases.
func FuzzOffers(f *testing.F) {
	for _, c := range offerCases() {
		payload, err := json.Marshal(c.input().Instructions)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(payload, t0.Unix(), c.slowLink, uint16(0))
	}
	f.Add([]byte(`{"format":"opensms-instructions/1","site":"S01","computer":"PC001","offers":[]}`), int64(0), true, uint16(40))
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	pub := key.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, payload []byte, now int64, slow bool, flip uint16) {
		var want protocol.Instructions
		if json.Unmarshal(payload, &want) != nil {
			return
		}
		data, err := protocol.EncodeInstructions(key, want)
		if err != nil {
			return // the site would not sign it either
		}
		if flip != 0 {
			data[int(flip)%len(data)] ^= 0x20
		}
		ins, err := protocol.DecodeInstructions(pub, data)
		if err != nil {
			return
		}
		if flip == 0 && len(ins.Offers) != len(want.Offers) {
			t.Fatalf("signed %d offers, read %d", len(want.Offers), len(ins.Offers))
		}
		in := offerInput{Instructions: &ins, Now: time.Unix(now, 0).UTC(), Platform: linux, SlowLink: slow}
		offers, dropped := computeOffers(in)
		if len(offers)+len(dropped) != len(ins.Offers) {
			t.Fatalf("%d offers and %d dropped from %d", len(offers), len(dropped), len(ins.Offers))
		}
		for _, o := range offers {
			if in.Now.Before(o.OfferAfter) || (!o.ExpiresAfter.IsZero() && !in.Now.Before(o.ExpiresAfter)) || !o.Command.RunsOn(linux) {
				t.Fatalf("offer shown that should not be: %+v", o.Offer)
			}
			if checkOffer(o.Offer) != nil {
				t.Fatalf("malformed offer shown: %+v", o.Offer)
			}
			if o.State == OfferDue && (!o.Mandatory || in.Now.Before(o.DueAt)) {
				t.Fatalf("due before its time: %+v", o)
			}
			if o.DeferralsLeft < 0 || o.DeferralsLeft > o.Deferrals {
				t.Fatalf("deferrals left %d of %d", o.DeferralsLeft, o.Deferrals)
			}
		}
	})
}
