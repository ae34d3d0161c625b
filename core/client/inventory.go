package client

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"opensms/core/detect"
	"opensms/core/inventory"
	"opensms/core/protocol"
	"opensms/core/share"
)

// InventoryRefresh is how long the engine goes without rewriting an
// inventory that did not change: the site takes the file's time as the
// computer's last-seen time, so it must still move now and then.
const InventoryRefresh = time.Hour

// bigSoftwareList is the number of programs above which the inventory
// leaves out their publishers.
const bigSoftwareList = 3000

// MaxRules bounds the site's rules file as read by the client.
const MaxRules = protocol.MaxSignedSize

// invState is what the engine remembers of the inventory it last wrote
// (guarded by Engine.mu): the digest of everything but its time and free
// space, the free space (cache, then each disk), and when.
type invState struct {
	digest  string
	free    []uint64
	written time.Time
	// rules are the site's package rules as last verified; kept while the
	// file cannot be read for a moment (a replace on the share), so that a
	// computer's installed packages do not flicker.
	rules *protocol.Rules
}

// collectInventory adds to the engine's basic inventory what the computer
// says about itself (gopsutil, the package database) and which packages'
// rules hold here.
func (e *Engine) collectInventory(ctx context.Context, fsys share.FS, enr Enrollment) protocol.Inventory {
	inv := e.Inventory(enr)
	inv.Inventory = inventory.Collect(ctx, inv.Inventory, func(what string, err error) {
		e.log.Debug("inventory: part not read", "part", what, "err", err)
	})
	inv.Installed = e.installed(fsys, enr)
	if len(inv.Software) > bigSoftwareList {
		// The signed file must stay under what the site reads
		// (protocol.MaxPlainSize); publishers are what can go.
		for i := range inv.Software {
			inv.Software[i].Publisher = ""
		}
	}
	return inv
}

// installed evaluates every package's detection rules the site published
// and returns the IDs of the packages whose rules hold here.
func (e *Engine) installed(fsys share.FS, enr Enrollment) []string {
	rules := e.siteRules(fsys, enr)
	if rules == nil {
		return nil
	}
	var out []string
	for _, p := range rules.Packages {
		if res, ok := e.detect.Package(p.Detection, p.DetectionLogic); ok && res.Outcome == detect.Holds {
			out = append(out, p.Package)
		}
	}
	return out
}

// siteRules reads and verifies the site's rules file; on a read or
// verification failure it returns the last good one (nil when none).
func (e *Engine) siteRules(fsys share.FS, enr Enrollment) *protocol.Rules {
	e.mu.Lock()
	last := e.inv.rules
	e.mu.Unlock()
	data, err := share.ReadFile(fsys, protocol.RulesFile, MaxRules)
	if errors.Is(err, fs.ErrNotExist) && last == nil {
		return nil // the site publishes no rules yet
	}
	var r protocol.Rules
	if err == nil {
		r, err = protocol.DecodeRules(ed25519.PublicKey(enr.PublicKey), data)
		if err == nil && !strings.EqualFold(r.Site, enr.SiteCode) {
			err = fmt.Errorf("they are signed for site %q, not %s", r.Site, enr.SiteCode)
		}
	}
	if err != nil {
		e.log.Warn("package rules not read; keeping the last good ones", "file", protocol.RulesFile, "err", err)
		return last
	}
	e.mu.Lock()
	e.inv.rules = &r
	e.mu.Unlock()
	return &r
}

// inventoryDigest summarises an inventory without its time and free disk
// space: free space moves by a few bytes between any two polls, and a file
// rewritten for that would be read again by the site every cycle.
func inventoryDigest(inv protocol.Inventory) string {
	inv.Time = time.Time{}
	inv.FreeDisk = 0
	inv.Disks = slices.Clone(inv.Disks)
	for i := range inv.Disks {
		inv.Disks[i].Free = 0
	}
	b, err := json.Marshal(inv)
	if err != nil {
		// Inventory holds only plain data; Marshal cannot fail on it.
		panic(fmt.Sprintf("client: encoding the inventory: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// freeSpace lists an inventory's free space: the cache's, then each disk's.
func freeSpace(inv protocol.Inventory) []uint64 {
	free := []uint64{inv.FreeDisk}
	for _, d := range inv.Disks {
		free = append(free, d.Free)
	}
	return free
}

// freeMoved reports whether free space moved by a GiB or more since was.
// Measured from what was written, not rounded to the GiB: a disk whose free
// space hovers at a GiB boundary would otherwise rewrite the file each poll.
func freeMoved(was, now []uint64) bool {
	if len(was) != len(now) {
		return true
	}
	for i := range now {
		if max(was[i], now[i])-min(was[i], now[i]) >= 1<<30 {
			return true
		}
	}
	return false
}

// inventoryDue reports whether inv must be written: it changed since the
// last write, or the last write is InventoryRefresh old.
func (e *Engine) inventoryDue(inv protocol.Inventory) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inv.digest != inventoryDigest(inv) || freeMoved(e.inv.free, freeSpace(inv)) ||
		e.cfg.Now().Sub(e.inv.written) >= InventoryRefresh
}

// inventoryWritten remembers what was written.
func (e *Engine) inventoryWritten(inv protocol.Inventory) {
	d, free := inventoryDigest(inv), freeSpace(inv)
	e.mu.Lock()
	e.inv.digest, e.inv.free, e.inv.written = d, free, e.cfg.Now()
	e.mu.Unlock()
}

// encodeInventory signs the inventory; when it would be larger than the
// site reads (a computer listing tens of thousands of programs), it halves
// the software list until it fits and says so, rather than report nothing.
func encodeInventory(enr Enrollment, inv protocol.Inventory, log *slog.Logger) ([]byte, error) {
	for {
		data, err := protocol.EncodeInventory(enr.Key, inv)
		if err == nil || len(inv.Software) == 0 {
			return data, err
		}
		log.Warn("inventory too large; listing fewer programs", "programs", len(inv.Software), "err", err)
		inv.Software = inv.Software[:len(inv.Software)/2]
	}
}
