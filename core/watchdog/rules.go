package watchdog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// publishRules writes the site's rules file (protocol.RulesFile): every
// package's detection rules, signed, for every client to evaluate with its
// inventory whether or not the package is offered to it. Packages without
// rules are left out (nothing could say they are installed). The file is
// written only when its content changes; after a restart the one on the
// share is compared first.
func (s *Service) publishRules(ctx context.Context, w *world, code string, priv ed25519.PrivateKey, fsys share.FS) error {
	r := protocol.Rules{Site: code}
	ids := make([]string, 0, len(w.packages))
	for id := range w.packages {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := w.packages[id]
		if len(p.Detection) == 0 {
			continue
		}
		r.Packages = append(r.Packages, protocol.PackageRules{Package: p.ID, Name: p.Name, Version: p.Version,
			Detection: p.Detection, DetectionLogic: p.DetectionLogic})
	}
	data, err := protocol.EncodeRules(priv, r)
	if err != nil {
		return fmt.Errorf("site %s: %w", code, err)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	if s.cs.rules[code] == digest {
		return nil
	}
	if old, err := share.ReadFile(fsys, protocol.RulesFile, protocol.MaxSignedSize); err == nil && bytes.Equal(old, data) {
		s.cs.rules[code] = digest
		return nil
	}
	if err := share.WriteFileAtomic(ctx, fsys, protocol.RulesFile, data); err != nil {
		delete(s.cs.rules, code)
		return fmt.Errorf("site %s: writing %s: %w", code, protocol.RulesFile, err)
	}
	s.cs.rules[code] = digest
	s.event(ctx, model.Event{Severity: model.SevInfo, Site: code,
		Message: fmt.Sprintf("site %s: published the detection rules of %s for every client", code, count(len(r.Packages), "package"))})
	return nil
}
