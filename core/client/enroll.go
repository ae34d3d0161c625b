package client

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"path"
	"strings"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// openShare connects to a share location with the client's credentials.
func (e *Engine) openShare(ctx context.Context, where string, cred model.Credentials) (share.FS, error) {
	loc, err := model.ParseLocation(where)
	if err != nil {
		return nil, err
	}
	// The opener's errors already name the share; wrapping them again
	// said "connecting to X: connecting to X".
	return e.cfg.Opener.Open(ctx, loc, cred)
}

// readSite reads and checks site.json on an open site share.
func readSite(fsys share.FS) (protocol.SiteInfo, string, error) {
	data, err := share.ReadFile(fsys, protocol.SiteFile, MaxSiteFile)
	if err != nil {
		return protocol.SiteInfo{}, "", fmt.Errorf("reading %s: %w", protocol.SiteFile, err)
	}
	info, err := protocol.DecodeSite(data)
	if err != nil {
		return protocol.SiteInfo{}, "", fmt.Errorf("reading %s: %w", protocol.SiteFile, err)
	}
	return info, protocol.Fingerprint(ed25519.PublicKey(info.PublicKey)), nil
}

// Probe connects to a site share and reads site.json: the site's code,
// name and key, and the key's fingerprint for the user to compare with the
// one the administrator gave. It changes nothing.
func (e *Engine) Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error) {
	fsys, err := e.openShare(ctx, siteShare, cred)
	if err != nil {
		return protocol.SiteInfo{}, "", err
	}
	defer fsys.Close()
	return readSite(fsys)
}

// SameFingerprint compares two key fingerprints as people type them: spaces
// around them and the "SHA256:" prefix do not matter.
func SameFingerprint(a, b string) bool {
	norm := func(s string) string {
		s = strings.TrimSpace(s)
		if len(s) > 7 && strings.EqualFold(s[:7], "SHA256:") {
			s = s[7:]
		}
		return s
	}
	return norm(a) != "" && norm(a) == norm(b)
}

// Enroll joins this computer to the site on siteShare: it reads site.json,
// refuses unless the site key's fingerprint equals trustFingerprint (the
// window shows Probe's fingerprint and passes it on when the user accepts;
// the agent's --trust gives it), writes this computer's inventory and pins
// the key. computer "" keeps the configured name. Enrolling again replaces
// the enrolment; run records and history stay.
func (e *Engine) Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trustFingerprint string) (Enrollment, error) {
	computer = model.NormalizeComputerName(computer)
	if computer == "" {
		computer = e.cfg.Computer
	}
	if err := model.ValidComputerName(computer); err != nil {
		return Enrollment{}, err
	}
	if strings.TrimSpace(trustFingerprint) == "" {
		return Enrollment{}, fmt.Errorf("%w: no fingerprint was given to trust; compare the site's fingerprint with the administrator's and give it", ErrUntrustedKey)
	}
	fsys, err := e.openShare(ctx, siteShare, cred)
	if err != nil {
		return Enrollment{}, err
	}
	defer fsys.Close()
	info, fp, err := readSite(fsys)
	if err != nil {
		return Enrollment{}, err
	}
	if !SameFingerprint(fp, trustFingerprint) {
		return Enrollment{}, fmt.Errorf("%w: site %s (%s) has key %s, but %s was given", ErrUntrustedKey, info.Code, info.Name, fp, strings.TrimSpace(trustFingerprint))
	}
	enr := Enrollment{
		SiteShare:   strings.TrimSpace(siteShare),
		Credentials: cred,
		SiteCode:    info.Code,
		SiteName:    info.Name,
		PublicKey:   append([]byte(nil), info.PublicKey...),
		Fingerprint: fp,
		Computer:    computer,
		Enrolled:    e.cfg.Now(),
	}
	// The computer keeps its key across enrolments: the site registered it.
	if old, ok := e.Enrolled(); ok && len(old.Key) == ed25519.PrivateKeySize {
		enr.Key = old.Key
	} else if enr.Key = e.keptComputerKey(ctx); enr.Key != nil {
		// Unenrolled before: the key outlived the enrolment.
	} else if enr.Key, err = newComputerKey(); err != nil {
		return Enrollment{}, fmt.Errorf("making this computer's key: %w", err)
	}
	// The inventory goes first: a site share this computer cannot write to
	// is better found now than when a status must be written.
	e.mu.Lock()
	e.inv = invState{} // another site: write it whatever was written before
	e.mu.Unlock()
	if err := e.writeInventory(ctx, fsys, enr); err != nil {
		return Enrollment{}, err
	}
	if old, ok := e.Enrolled(); ok && !SameFingerprint(old.Fingerprint, fp) {
		e.log.Warn("enrolled with a new site key", "site", info.Code, "old", old.Fingerprint, "new", fp)
	}
	if err := e.st.PutEnrollment(ctx, enr); err != nil {
		return Enrollment{}, err
	}
	e.mu.Lock()
	e.enr = &enr
	e.ins = nil // offers came from the old enrolment
	e.polled, e.pollErr = e.cfg.Now(), nil
	e.mu.Unlock()
	e.log.Info("enrolled", "site", info.Code, "name", info.Name, "computer", computer, "fingerprint", fp)
	return enr, nil
}

// Inventory returns what this computer reports about itself now.
func (e *Engine) Inventory(enr Enrollment) protocol.Inventory {
	goos, arch, _ := strings.Cut(string(e.cfg.Platform), "/")
	return protocol.Inventory{
		Format: protocol.InventoryFormat,
		Inventory: model.Inventory{
			Computer:      enr.Computer,
			Site:          enr.SiteCode,
			OS:            goos,
			Arch:          arch,
			OSVersion:     e.osVersion(),
			ClientVersion: e.cfg.ClientVersion,
			FreeDisk:      freeDisk(e.cfg.CacheDir),
			Time:          e.cfg.Now().UTC(),
			// The watchdog writes this computer's instruction file where
			// this client looks first (see readInstructions).
			InstructionsLayout: protocol.InstructionsLayout,
		},
	}
}

// writeInventory writes inventory/<COMPUTER>.json atomically when it
// changed (or InventoryRefresh passed): the site reads a file again only
// when it changes, and 10,000 computers rewriting theirs every poll is
// what would make it change.
func (e *Engine) writeInventory(ctx context.Context, fsys share.FS, enr Enrollment) error {
	inv := e.collectInventory(ctx, fsys, enr)
	if !e.inventoryDue(inv) {
		return nil
	}
	data, err := encodeInventory(enr, inv, e.log)
	if err != nil {
		return err
	}
	name, err := protocol.InventoryPath(enr.Computer)
	if err != nil {
		return err
	}
	if err := writeAtomic(ctx, fsys, name, data); err != nil {
		return err
	}
	e.inventoryWritten(inv)
	return nil
}

// writeAtomic writes a file on the site share atomically, making its folder
// first (a new computer's status folder does not exist yet).
func writeAtomic(ctx context.Context, fsys share.FS, name string, data []byte) error {
	if dir := path.Dir(name); dir != "." {
		if err := fsys.MkdirAll(dir); err != nil {
			return fmt.Errorf("making %s on the site share: %w", dir, err)
		}
	}
	if err := share.WriteFileAtomic(ctx, fsys, name, data); err != nil {
		return fmt.Errorf("writing %s on the site share: %w", name, err)
	}
	return nil
}
