package watchdog_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// Every package's detection rules go to the site share, signed, whether or
// not a job offers the package; the file is rewritten only when a rule
// changes, and a restarted watchdog finds it in place.
func TestPublishesRules(t *testing.T) {
	r := newRig(t)
	p := r.pkg
	p.Detection = []model.DetectionRule{{Kind: model.RuleFileExists, Path: "/opt/hello/hello"}}
	must(t, r.st.UpdatePackage(bg, p))
	r.runOnce()
	priv, err := r.st.SiteKey(bg, siteCode)
	must(t, err)
	pub := priv.Public()
	read := func() protocol.Rules {
		t.Helper()
		data, err := share.ReadFile(r.siteFS(), protocol.RulesFile, protocol.MaxSignedSize)
		must(t, err)
		rules, err := protocol.DecodeRules(pub.(ed25519.PublicKey), data)
		must(t, err)
		return rules
	}
	got := read()
	if got.Site != siteCode || len(got.Packages) != 1 || got.Packages[0].Package != p.ID || got.Packages[0].Detection[0].Path != "/opt/hello/hello" {
		t.Fatalf("rules %+v", got)
	}
	published := func() int {
		evs, err := r.st.ListEvents(bg, model.EventFilter{})
		must(t, err)
		n := 0
		for _, e := range evs {
			if strings.Contains(e.Message, "published the detection rules") {
				n++
			}
		}
		return n
	}
	r.runOnce()
	r.service(watchdog.Config{})
	r.runOnce()
	if n := published(); n != 1 {
		t.Fatalf("unchanged rules were published %d times", n)
	}
	p.Detection = append(p.Detection, model.DetectionRule{Kind: model.RuleVersion, Path: "/opt/hello/VERSION", Value: ">=2"})
	p.DetectionLogic = "1 OR 2"
	must(t, r.st.UpdatePackage(bg, p))
	r.runOnce()
	if got := read(); len(got.Packages[0].Detection) != 2 || got.Packages[0].DetectionLogic != "1 OR 2" || published() != 2 {
		t.Fatalf("changed rules not published: %+v", got)
	}
}
