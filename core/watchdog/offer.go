package watchdog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
)

// offer writes, on every site share, one signed instruction file per
// computer that has offers or had them: each lists all the active Run
// Command jobs offered to that computer. A job is offered once at least one
// of its servers holds the archive, so one broken server does not hold
// every client back; the offer lists the servers that hold it and grows as
// the others catch up. A file is rewritten only when
// what it offers changes (InstructionsDigest), so clients polling it see
// its time change only when there is news. A computer whose offers are
// all withdrawn (finished, canceled, expired, deleted) gets an empty list.
// Computers whose file is in place move from None to Offered.

// insStaging is where instruction files are written before they are renamed
// into the instructions folder: a new name in a folder of thousands costs
// a case-insensitive server a scan of it (see share.ReplaceFileVia).
// Clients read only their own file and never look in it.
const insStaging = protocol.InstructionsDir + "/.staging"

func (s *Service) offer(ctx context.Context, w *world, runs []*runJob, shares map[string]share.FS) []error {
	type target struct {
		rj       *runJob
		computer string
	}
	offers := map[string]map[string][]protocol.Offer{} // site → computer → offers
	targets := map[string][]target{}                   // site → computers offered a job
	for _, rj := range runs {
		j := rj.job
		if j.Status.State.Final() || j.Cancel || !distributed(j) || expired(j, w.now) {
			continue
		}
		var open []string // computers still owing a result, on a site with a share
		perSite := map[string]protocol.Offer{}
		for _, c := range rj.computers() {
			if rj.targets[c].State.Final() {
				continue
			}
			site := w.computers[c].Site
			if w.sites[site].Share == "" {
				s.eventOnce(ctx, "noshare/"+site, model.Event{Severity: model.SevWarning, Site: site,
					Message: fmt.Sprintf("site %s has no site share, so its computers cannot be offered jobs", site)})
				continue
			}
			open = append(open, c)
			perSite[site] = protocol.Offer{}
		}
		failed := false
		for site := range perSite {
			o, err := s.makeOffer(w, j, site)
			if err != nil {
				s.fail(ctx, w, j, err.Error())
				failed = true
				break
			}
			perSite[site] = o
		}
		if failed {
			continue
		}
		for _, c := range open {
			site := w.computers[c].Site
			if offers[site] == nil {
				offers[site] = map[string][]protocol.Offer{}
			}
			o := perSite[site]
			o.Generation = rj.targets[c].Gen()
			offers[site][c] = append(offers[site][c], o)
			targets[site] = append(targets[site], target{rj, c})
		}
	}

	// Offers a client's signed result made moot: left in place (see
	// settledOffers).
	settled := settledOffers(runs)
	var errs []error
	newly := map[*runJob]int{}
	for _, code := range w.siteCodes {
		fsys, ok := shares[code]
		if !ok {
			continue
		}
		inPlace, err := s.offerSite(ctx, w, code, fsys, offers[code], settled)
		if err != nil {
			errs = append(errs, err)
		}
		for _, t := range targets[code] {
			ts := t.rj.targets[t.computer]
			if !inPlace[t.computer] || t.rj.job.Status.State.Final() {
				continue
			}
			if ts.State == model.TargetNone || ts.State == "" {
				_ = ts.Move(model.TargetOffered, w.now)
				ts.NextAction = t.rj.job.Run.MandatoryAfter // when the client runs it unasked
				t.rj.dirty[t.computer] = true
				newly[t.rj]++
			}
		}
	}
	s.saveInsIndex()
	failed := s.flushRuns(ctx, runs)
	var evs eventBatch
	for _, rj := range runs {
		if err := failed[rj]; err != nil {
			errs = append(errs, err)
			continue
		}
		if n := newly[rj]; n > 0 {
			s.addEvent(&evs, model.Event{Severity: model.SevInfo, Job: rj.job.ID, Package: rj.job.Package,
				Message: fmt.Sprintf("job %s offered to %s", rj.job.ID, count(n, "computer"))})
		}
	}
	s.flushEvents(ctx, &evs)
	return errs
}

// syncInsIndex brings the kept index of one site up to what its
// instructions/ folder lists (listed: each computer's file where it
// belongs): files gone or in the other layout are forgotten, and a file
// written by this service gets the time the share gave it.
func (s *Service) syncInsIndex(code string, listed map[string]insRecord) {
	prefix := code + "/"
	for key, rec := range s.cs.insSaved {
		c, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		l, found := listed[c]
		switch {
		case !found || l.Layout != rec.layout():
			delete(s.cs.insSaved, key)
		case rec.MTime == 0 && rec.Size == l.Size && s.cs.insDigest[key] == rec.Digest:
			rec.MTime = l.MTime
			s.cs.insSaved[key] = rec
		default:
			continue
		}
		s.cs.insDirty = true
	}
}

// makeOffer builds the offer of job j for computers of site, listing the
// servers that hold the archive, that site's own servers first.
func (s *Service) makeOffer(w *world, j *model.Job, site string) (protocol.Offer, error) {
	pkg, ok := w.packages[j.Package]
	if !ok {
		return protocol.Offer{}, fmt.Errorf("package %s no longer exists", j.Package)
	}
	cmd, ok := pkg.Command(j.Run.Command)
	if !ok {
		return protocol.Offer{}, fmt.Errorf("package %s has no command line %q", pkg.ID, j.Run.Command)
	}
	cmd.ApplyDefaults()
	var refs []protocol.ServerRef
	for k, ss := range j.Status.Servers {
		srv, ok := w.servers[k]
		if ss.State != model.PhaseComplete || !ok {
			continue
		}
		loc, err := model.ParseLocation(srv.URL)
		if err != nil {
			continue
		}
		// Clients use their own credentials: publish where, never who.
		loc.User, loc.Domain = "", ""
		refs = append(refs, protocol.ServerRef{Name: k, URL: loc.String()})
	}
	if len(refs) == 0 {
		return protocol.Offer{}, fmt.Errorf("no distribution server holds archive %s any more", short(j.Status.Archive))
	}
	sort.Slice(refs, func(a, b int) bool {
		ha, hb := strings.HasPrefix(refs[a].Name, site+"/"), strings.HasPrefix(refs[b].Name, site+"/")
		if ha != hb {
			return ha
		}
		return refs[a].Name < refs[b].Name
	})
	offerAfter := j.Run.OfferAfter
	if offerAfter.IsZero() {
		offerAfter = j.Status.Activated
	}
	return protocol.Offer{
		Job:                       j.ID,
		Package:                   pkg.ID,
		PackageName:               pkg.Name,
		PackageVersion:            pkg.Version,
		Comment:                   j.Comment,
		Command:                   cmd,
		OfferAfter:                offerAfter,
		MandatoryAfter:            j.Run.MandatoryAfter,
		ExpiresAfter:              j.Run.ExpiresAfter,
		NotMandatoryOverSlowLinks: j.Run.NotMandatoryOverSlowLinks,
		Deferrals:                 j.Run.Deferrals,
		Archive:                   j.Status.Archive,
		ArchiveSize:               j.Status.ArchiveSize,
		Servers:                   refs,
		Generation:                1,
		Detection:                 pkg.Detection,
		DetectionLogic:            pkg.DetectionLogic,
	}, nil
}

// offerSite publishes site.json and writes the instruction files of one
// site whose content changed. It returns the computers whose file now
// holds what offers gives them.
func (s *Service) offerSite(ctx context.Context, w *world, code string, fsys share.FS, offers map[string][]protocol.Offer, settled settledSet) (map[string]bool, error) {
	site := w.sites[code]
	priv, err := s.st.SiteKey(ctx, code)
	if err != nil {
		return nil, fmt.Errorf("site %s: reading its signing key: %w", code, err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if err := s.publishSite(ctx, site, priv, fsys); err != nil {
		s.eventOnce(ctx, "sitejson/"+code, model.Event{Severity: model.SevError, Site: code, Message: s.sentence(err)})
		return nil, err
	}
	s.clearOnce("sitejson/" + code)
	if err := s.publishRules(ctx, w, code, priv, fsys); err != nil {
		// Clients keep the rules they had; offers still go out.
		s.eventOnce(ctx, "rules/"+code, model.Event{Severity: model.SevError, Site: code, Message: s.sentence(err)})
	} else {
		s.clearOnce("rules/" + code)
	}

	if !s.cs.swept[code] {
		// Once per service: what writers that crashed left behind.
		for _, dir := range []string{".", protocol.InstructionsDir, insStaging} {
			if n, err := share.SweepTemps(fsys, dir, time.Hour); n > 0 || (err != nil && !errors.Is(err, fs.ErrNotExist)) {
				s.log.Info("swept temporary files", "site", code, "dir", dir, "removed", n, "err", err)
			}
		}
		s.cs.swept[code] = true
	}
	s.loadInsIndex()
	found, err := s.listInstructions(ctx, w, code, fsys)
	if err != nil {
		return nil, err
	}
	existing := map[string]bool{}    // computers with a file where it belongs
	listed := map[string]insRecord{} // computer → that file's size and time as listed
	layout := map[string]int{}       // computer → where its file belongs
	for c := range offers {
		if _, ok := found.files[c]; !ok {
			found.files[c] = insFound{} // none yet
		}
	}
	for c, f := range found.files {
		l := insLayout(w, c, f)
		layout[c] = l
		if rec := f.in(l); rec != nil {
			existing[c] = true
			listed[c] = *rec
		}
	}
	s.syncInsIndex(code, listed)
	computers := make([]string, 0, len(found.files))
	for c := range found.files {
		computers = append(computers, c)
	}
	sort.Strings(computers)

	// Each file is a few round trips: reads and writes go SiteConcurrency
	// at a time, and their outcome is recorded after, in order.
	type insFile struct {
		computer, name, key, digest string
		layout                      int
		ins                         protocol.Instructions
		offers                      []string // offerEntries of ins.Offers
		old                         string   // digest of the file on the share, when read now
		oldSeq                      uint64   // and its number and validity
		oldValid                    time.Time
		oldOffers                   []protocol.Offer
		size                        int64 // bytes written
		fresh                       bool  // no file of this computer was listed, in either layout
		done                        bool  // the write was tried
		err                         error
	}
	files := make([]*insFile, 0, len(computers))
	var unknown []*insFile
	for _, c := range computers {
		list := append([]protocol.Offer{}, offers[c]...)
		sort.Slice(list, func(a, b int) bool { return list[a].Job < list[b].Job })
		ins := protocol.Instructions{Format: protocol.InstructionsFormat, Site: code, Computer: c, Generated: s.cfg.Now(), Offers: list}
		name, err := protocol.InstructionsPathIn(layout[c], c)
		if err != nil {
			continue
		}
		fo := found.files[c]
		f := &insFile{computer: c, name: name, layout: layout[c], key: code + "/" + c, digest: protocol.InstructionsDigest(ins), ins: ins, fresh: fo.flat == nil && fo.sharded == nil}
		files = append(files, f)
		if existing[c] && s.cs.insDigest[f.key] == "" {
			// After a restart: the digest kept on disk, while the file is
			// as it was written; else read the file back.
			if rec, ok := s.cs.insSaved[f.key]; ok && rec.Digest != "" && rec.MTime != 0 && rec.Size == listed[c].Size && rec.MTime == listed[c].MTime {
				s.cs.insDigest[f.key] = rec.Digest
			} else {
				unknown = append(unknown, f)
			}
		}
	}
	// After a restart: what do the files on the share say?
	s.fanOut(ctx, w, code, fsys, len(unknown), func(ctx context.Context, fsys share.FS, i int) {
		f := unknown[i]
		if data, err := share.ReadSmallFile(fsys, f.name, protocol.MaxSignedSize); err == nil {
			if old, err := protocol.DecodeInstructions(pub, data); err == nil {
				f.old = protocol.InstructionsDigest(old)
				f.oldSeq, f.oldValid, f.oldOffers = old.Sequence, old.ValidUntil, old.Offers
			}
		}
	})
	var writes []*insFile
	for _, f := range unknown {
		if f.old != "" {
			s.cs.insDigest[f.key] = f.old
			rec := listed[f.computer]
			rec.Digest, rec.Sequence, rec.ValidUntil = f.old, f.oldSeq, f.oldValid
			rec.Offers = offerEntries{}.of(f.oldOffers)
			s.cs.insSaved[f.key] = rec
			s.cs.insDirty = true
		}
	}
	now := s.cfg.Now()
	fresh := protocol.Freshness{Validity: s.cfg.InstructionsValidity}
	inPlace := map[string]bool{}
	entries := offerEntries{}
	for _, f := range files {
		// The file's number grows past the last one written, even if that
		// one failed to land or was removed since.
		rec := s.cs.insSaved[f.key]
		last := max(rec.Sequence, s.cs.insLastSeq[f.key])
		f.ins.Sequence, f.ins.ValidUntil = fresh.Next(now, last)
		f.offers = entries.of(f.ins.Offers)
		// What the file holds is known only from a write, a file read
		// back, or an index whose record the listing matched (insDigest).
		known := s.cs.insDigest[f.key] != ""
		if existing[f.computer] && known && !fresh.Due(rec.ValidUntil, now) &&
			(s.cs.insDigest[f.key] == f.digest || settled.holds(f.computer, rec.Offers, f.offers)) {
			inPlace[f.computer] = true
			continue
		}
		writes = append(writes, f)
	}
	if len(writes) > 0 {
		names := make([]string, len(writes))
		for i, f := range writes {
			names[i] = f.name
		}
		if err := s.makeInsFolders(ctx, w, code, fsys, names, found.shards); err != nil {
			s.eventOnce(ctx, "instructions/"+code, model.Event{Severity: model.SevError, Site: code, Message: s.sentence(err)})
			return inPlace, err
		}
	}
	s.fanOut(ctx, w, code, fsys, len(writes), func(ctx context.Context, fsys share.FS, i int) {
		f := writes[i]
		data, err := protocol.EncodeInstructions(priv, f.ins)
		if err == nil && f.fresh {
			// A first file (all of them in a first cycle) is created where
			// it belongs: 3 requests instead of 6. Clients take it for
			// absent until it is whole (protocol.CutShort), and the
			// signature still refuses anything else. A file the listing
			// missed is there: it is replaced as any other.
			err = share.CreateFile(ctx, fsys, f.name, data)
			if errors.Is(err, fs.ErrExist) {
				err = share.ReplaceFileVia(ctx, fsys, insStaging, f.name, data)
			}
		} else if err == nil {
			err = share.ReplaceFileVia(ctx, fsys, insStaging, f.name, data)
		}
		f.size, f.err, f.done = int64(len(data)), err, true
	})
	for _, f := range writes {
		s.cs.insLastSeq[f.key] = f.ins.Sequence // numbers are never given twice, landed or not
		s.forgetShard(code, f.name)
	}
	var errs []error
	for _, f := range writes {
		if !f.done {
			f.err = ctx.Err() // never started: the cycle is stopping
		}
		s.cs.insDirty = true
		if f.err != nil {
			delete(s.cs.insDigest, f.key)
			delete(s.cs.insSaved, f.key)
			errs = append(errs, fmt.Errorf("site %s: writing %s: %w", code, f.name, f.err))
			continue
		}
		s.cs.insDigest[f.key] = f.digest
		s.cs.insSaved[f.key] = insRecord{Digest: f.digest, Size: f.size, Sequence: f.ins.Sequence, ValidUntil: f.ins.ValidUntil, Layout: f.layout, Offers: f.offers} // its time comes with the next listing
		inPlace[f.computer] = true
	}
	s.removeOtherLayout(ctx, w, code, fsys, found, layout, inPlace)
	if len(errs) > 0 {
		err := errors.Join(errs...)
		s.eventOnce(ctx, "instructions/"+code, model.Event{Severity: model.SevError, Site: code, Message: s.sentence(errs[0])})
		return inPlace, err
	}
	s.clearOnce("instructions/" + code)
	return inPlace, nil
}

// publishSite writes site.json when it is missing or says something else
// than the site's code, name and key.
func (s *Service) publishSite(ctx context.Context, site model.Site, priv ed25519.PrivateKey, fsys share.FS) error {
	pub := priv.Public().(ed25519.PublicKey)
	want := site.Code + "\x00" + site.Name + "\x00" + hex.EncodeToString(pub)
	if s.cs.siteInfo[site.Code] == want {
		if _, err := fsys.Stat(protocol.SiteFile); err == nil {
			return nil
		}
	}
	if data, err := share.ReadFile(fsys, protocol.SiteFile, protocol.MaxSignedSize); err == nil {
		if si, err := protocol.DecodeSite(data); err == nil && si.Code == site.Code && si.Name == site.Name && bytes.Equal(si.PublicKey, pub) {
			s.cs.siteInfo[site.Code] = want
			return nil
		}
	}
	data, err := protocol.EncodeSite(priv, protocol.SiteInfo{Format: protocol.SiteFormat, Code: site.Code, Name: site.Name, PublicKey: pub, Published: s.cfg.Now()})
	if err == nil {
		err = share.WriteFileAtomic(ctx, fsys, protocol.SiteFile, data)
	}
	if err != nil {
		delete(s.cs.siteInfo, site.Code)
		return fmt.Errorf("site %s: writing %s: %w", site.Code, protocol.SiteFile, err)
	}
	s.cs.siteInfo[site.Code] = want
	s.event(ctx, model.Event{Severity: model.SevInfo, Site: site.Code,
		Message: fmt.Sprintf("site %s: published %s with key %s", site.Code, protocol.SiteFile, protocol.Fingerprint(pub))})
	return nil
}

// errSuffix is ": err" for an error, "" for none.
func errSuffix(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

// distributed reports whether the job's archive is on at least one server.
func distributed(j *model.Job) bool {
	if j.Status.Sending != model.PhaseComplete {
		return false
	}
	for _, ss := range j.Status.Servers {
		if ss.State == model.PhaseComplete {
			return true
		}
	}
	return false
}
