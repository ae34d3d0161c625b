package client

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// Poll connects to the site share, writes this computer's inventory, reads
// its instruction file, verifies it with the pinned key and computes the
// offers. A missing instruction file means nothing is offered (every
// earlier offer is withdrawn) once it is missing at two polls in a row: the
// watchdog replaces files, never deletes them, and a replace over SMB has a
// moment where the name is absent.
//
// An instruction file that is unsigned, edited after signing, signed by
// another key or meant for another computer or site is refused: the engine
// then shows no offers at all and returns an error wrapping ErrUntrusted
// (and the protocol error). It cannot report the refusal in a status file,
// because it cannot trust the job IDs the file names; the error goes to the
// caller and to the log, and the administrator sees the computer's jobs stay
// Offered. When the share cannot be reached the offers of the last good poll
// stay (they were verified), and Poll returns the error.
//
// Poll also reports what it will not run (an offer for another platform, an
// offer that expired before it ran) in that job's status file, once per
// generation, and writes again the statuses an unreachable share did not
// take when their runs ended.
func (e *Engine) Poll(ctx context.Context) ([]Offer, error) {
	enr, ok := e.Enrolled()
	if !ok {
		return nil, ErrNotEnrolled
	}
	err := e.poll(ctx, enr)
	e.mu.Lock()
	e.polled, e.pollErr = e.cfg.Now(), err
	e.mu.Unlock()
	e.publishOffers()
	return e.Offers(), err
}

func (e *Engine) poll(ctx context.Context, enr Enrollment) error {
	fsys, err := e.openShare(ctx, enr.SiteShare, enr.Credentials)
	if err != nil {
		return err
	}
	defer fsys.Close()
	if err := e.writeInventory(ctx, fsys, enr); err != nil {
		e.log.Warn("inventory not written", "err", err)
	}
	ins, data, err := e.readInstructions(ctx, fsys, enr)
	if err != nil {
		if errors.Is(err, ErrUntrusted) {
			e.mu.Lock()
			e.ins = nil
			e.mu.Unlock()
			if err := e.st.PutInstructions(ctx, nil); err != nil {
				e.log.Warn("kept instructions not cleared", "err", err)
			}
			e.log.Error("instructions refused: nothing from them runs", "computer", enr.Computer, "err", err)
		}
		return err
	}
	e.mu.Lock()
	if data == nil && e.ins != nil && len(e.ins.Offers) > 0 && e.missed == 0 {
		// The watchdog never deletes an instruction file (it writes an empty
		// list), but replacing one over SMB goes through a moment where the
		// name is absent: a poll in that moment must not withdraw offers.
		// A file still missing at the next poll is gone.
		e.missed++
		e.mu.Unlock()
		e.log.Info("instruction file missing: keeping the last verified offers until the next poll", "computer", enr.Computer)
		return nil
	}
	e.missed = 0
	e.mu.Unlock()
	if err := e.st.PutInstructions(ctx, data); err != nil {
		e.log.Warn("instructions not kept for a restart", "err", err)
	}
	e.mu.Lock()
	if e.enr == nil || !e.enr.Enrolled.Equal(enr.Enrolled) {
		// Unenrolled (or enrolled again) while this poll read the share.
		e.mu.Unlock()
		return nil
	}
	e.ins = &ins
	_, dropped := computeOffers(e.inputLocked())
	e.mu.Unlock()
	e.reportDropped(ctx, fsys, enr, dropped)
	e.flushPending(ctx, fsys)
	return nil
}

// readInstructions reads and verifies this computer's instruction file and
// checks that it is fresh (see acceptFresh); it returns the file's bytes
// too (nil when there is none). It reads the file where the newest layout
// puts it, and the flat instructions/<COMPUTER>.ins when there is none
// there: a watchdog writes the flat file until this client's inventory
// says it reads the other (protocol.LayoutSharded). Either way the file
// must be signed for this computer and numbered above the last one
// accepted, so a file left in the other place brings nothing back.
func (e *Engine) readInstructions(ctx context.Context, fsys share.FS, enr Enrollment) (protocol.Instructions, []byte, error) {
	var name string
	var data []byte
	var err error
	for _, layout := range []int{protocol.LayoutSharded, protocol.LayoutFlat} {
		name, err = protocol.InstructionsPathIn(layout, enr.Computer)
		if err != nil {
			return protocol.Instructions{}, nil, err
		}
		data, err = share.ReadFile(fsys, name, MaxInstructions)
		if err == nil && protocol.CutShort(data) {
			// The watchdog creates a first file under its final name: caught
			// while it is written, it is not there yet (and a file left cut
			// short by a failed write is rewritten whole at the next cycle).
			e.log.Info("instruction file is being written: taken as absent until the next poll", "file", name)
			data, err = nil, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			break
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		e.log.Debug("no instruction file: nothing is offered", "file", name)
		return protocol.Instructions{Format: protocol.InstructionsFormat, Site: enr.SiteCode, Computer: enr.Computer}, nil, nil
	}
	if err != nil {
		return protocol.Instructions{}, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	ins, err := verifyInstructions(enr, data)
	if err == nil {
		err = e.acceptFresh(ctx, enr, ins)
	}
	if err != nil {
		return protocol.Instructions{}, nil, fmt.Errorf("%s: %w", name, err)
	}
	return ins, data, nil
}

// acceptFresh refuses verified instructions older than the newest this
// computer accepted from its site, or past their validity, and otherwise
// keeps their number as the newest accepted. Errors wrap ErrUntrusted and
// protocol.ErrStale: a genuinely signed file put back on the share must not
// bring back a job that was cancelled since.
func (e *Engine) acceptFresh(ctx context.Context, enr Enrollment, ins protocol.Instructions) error {
	acc, err := e.st.Accepted(ctx)
	if err != nil {
		return err
	}
	key := protocol.Fingerprint(ed25519.PublicKey(enr.PublicKey))
	var last uint64
	if acc.SiteKey == key {
		last = acc.Sequence
	}
	if err := protocol.CheckFresh(ins, last, e.cfg.Now()); err != nil {
		return fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	if ins.Sequence > last {
		if err := e.st.PutAccepted(ctx, Accepted{SiteKey: key, Sequence: ins.Sequence}); err != nil {
			return fmt.Errorf("keeping the number of the instructions: %w", err)
		}
	}
	return nil
}

// verifyInstructions checks an instruction file with the pinned key and
// that it is meant for this computer of this site. Errors wrap
// ErrUntrusted.
func verifyInstructions(enr Enrollment, data []byte) (protocol.Instructions, error) {
	ins, err := protocol.DecodeInstructions(ed25519.PublicKey(enr.PublicKey), data)
	if err != nil {
		return protocol.Instructions{}, fmt.Errorf("%w: %w", ErrUntrusted, err)
	}
	// A file signed by the right key but meant for another computer could
	// be copied here by anyone who can write the share.
	if !strings.EqualFold(ins.Computer, enr.Computer) {
		return protocol.Instructions{}, fmt.Errorf("%w: they are signed for computer %q, not %s", ErrUntrusted, ins.Computer, enr.Computer)
	}
	if !strings.EqualFold(ins.Site, enr.SiteCode) {
		return protocol.Instructions{}, fmt.Errorf("%w: they are signed for site %q, not %s", ErrUntrusted, ins.Site, enr.SiteCode)
	}
	return ins, nil
}

// cachedInstructions returns the instructions of the last good poll kept
// in the state, verified again; nil when there are none or they no longer
// verify.
func (e *Engine) cachedInstructions(ctx context.Context, enr Enrollment) *protocol.Instructions {
	data, err := e.st.Instructions(ctx)
	if err != nil || data == nil {
		return nil
	}
	ins, err := verifyInstructions(enr, data)
	if err == nil {
		err = protocol.CheckFresh(ins, 0, e.cfg.Now())
	}
	if err != nil {
		e.log.Warn("kept instructions no longer verify or are no longer valid; waiting for a poll", "err", err)
		return nil
	}
	return &ins
}

// Offers returns the offers of the last good poll, with states computed
// for the current time: an offer that expired since then has gone, a
// mandatory one whose time came is due.
func (e *Engine) Offers() []Offer {
	e.mu.Lock()
	defer e.mu.Unlock()
	offers, _ := computeOffers(e.inputLocked())
	return offers
}

// Offer returns one shown offer.
func (e *Engine) Offer(job string) (Offer, bool) {
	for _, o := range e.Offers() {
		if o.Job == job {
			return o, true
		}
	}
	return Offer{}, false
}

// inputLocked gathers what offer computation needs; e.mu is held. The maps
// are copies, so the result may be used after the lock is released.
func (e *Engine) inputLocked() offerInput {
	ins := e.ins
	if ins != nil && !ins.ValidUntil.IsZero() && e.cfg.Now().After(ins.ValidUntil) {
		// Kept from the last good poll, but the site has not signed them
		// again since (the share is unreachable, or its watchdog stopped).
		ins = nil
	}
	in := offerInput{
		Instructions: ins,
		Now:          e.cfg.Now(),
		Platform:     e.cfg.Platform,
		SlowLink:     e.cfg.SlowLink,
		Runs:         make(map[string]RunRecord, len(e.runs)),
		Running:      make(map[string]bool, len(e.running)),
		Last:         make(map[string]HistoryEntry, len(e.last)),
		Downloads:    make(map[string]Download, len(e.downloads)),
	}
	for k, v := range e.runs {
		in.Runs[k] = v
	}
	for k, v := range e.running {
		in.Running[k] = v
	}
	for k, v := range e.last {
		in.Last[k] = v
	}
	for k, v := range e.downloads {
		in.Downloads[k] = v
	}
	return in
}

// record returns the job's run record for generation gen: the stored one,
// or a fresh one when gen is newer.
func (e *Engine) record(job string, gen int) RunRecord {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.runs[job]
	if !ok || r.Generation < gen {
		return RunRecord{Job: job, Generation: gen}
	}
	return r
}

// putRecord stores a run record and keeps the engine's copy.
func (e *Engine) putRecord(ctx context.Context, r RunRecord) error {
	if err := e.st.PutRun(ctx, r); err != nil {
		return err
	}
	e.mu.Lock()
	e.runs[r.Job] = r
	e.mu.Unlock()
	return nil
}

// reportDropped writes a failed status, once per generation, for offers
// this computer will never run: a command line for another platform, or an
// offer that expired before it ran here. Offers whose time has not come,
// duplicates and malformed ones are only logged.
func (e *Engine) reportDropped(ctx context.Context, fsys share.FS, enr Enrollment, dropped []Dropped) {
	for _, d := range dropped {
		o := d.Offer
		switch d.Reason {
		case DropPlatform, DropExpired:
		case DropInvalid:
			e.log.Error("offer refused", "job", o.Job, "why", d.Detail)
			continue
		default:
			e.log.Debug("offer not shown", "job", o.Job, "reason", d.Reason, "why", d.Detail)
			continue
		}
		e.log.Debug("offer not shown", "job", o.Job, "reason", d.Reason, "why", d.Detail)
		rec := e.record(o.Job, o.Generation)
		if rec.Generation != o.Generation || rec.Ran || rec.Reported == string(d.Reason) {
			continue // ran already, or a newer generation is known, or said before
		}
		msg := "not run: " + d.Detail
		if d.Reason == DropExpired {
			msg = "not run: the offer expired at " + o.ExpiresAfter.Format(time.RFC3339) + " before it ran on this computer"
		}
		st := protocol.Status{
			Format:     protocol.StatusFormat,
			Job:        o.Job,
			Computer:   enr.Computer,
			Generation: o.Generation,
			State:      model.TargetFailed,
			Attempts:   rec.Attempts,
			Error:      msg,
			Written:    e.cfg.Now().UTC(),
		}
		if err := e.writeStatus(ctx, fsys, st); err != nil {
			e.log.Warn("refusal not reported", "job", o.Job, "err", err)
			continue
		}
		rec.Reported = string(d.Reason)
		if err := e.putRecord(ctx, rec); err != nil {
			e.log.Warn("run record not saved", "job", o.Job, "err", err)
		}
	}
}

// flushPending writes the statuses that could not be written when their
// runs ended.
func (e *Engine) flushPending(ctx context.Context, fsys share.FS) {
	e.mu.Lock()
	var pending []RunRecord
	for _, r := range e.runs {
		if r.Pending != nil {
			pending = append(pending, r)
		}
	}
	e.mu.Unlock()
	for _, r := range pending {
		if err := e.writeStatus(ctx, fsys, *r.Pending); err != nil {
			e.log.Warn("status still not written", "job", r.Job, "err", err)
			continue
		}
		r.Pending = nil
		if err := e.putRecord(ctx, r); err != nil {
			e.log.Warn("run record not saved", "job", r.Job, "err", err)
		}
	}
}

// writeStatus writes status/<COMPUTER>/<JOBID>.json atomically, signed
// with this computer's key.
func (e *Engine) writeStatus(ctx context.Context, fsys share.FS, st protocol.Status) error {
	enr, ok := e.Enrolled()
	if !ok {
		return ErrNotEnrolled
	}
	data, err := protocol.EncodeStatus(enr.Key, st)
	if err != nil {
		return err
	}
	name, err := protocol.StatusPath(st.Computer, st.Job)
	if err != nil {
		return err
	}
	return writeAtomic(ctx, fsys, name, data)
}

// report writes a status on a fresh connection to the site share.
func (e *Engine) report(ctx context.Context, enr Enrollment, st protocol.Status) error {
	fsys, err := e.openShare(ctx, enr.SiteShare, enr.Credentials)
	if err != nil {
		return err
	}
	defer fsys.Close()
	return e.writeStatus(ctx, fsys, st)
}
