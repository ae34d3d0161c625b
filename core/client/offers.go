package client

import (
	"fmt"
	"regexp"
	"sort"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
)

// OfferState is where an offer stands on this computer.
type OfferState string

// Offer states. An offer moves available → (due) → running → complete or
// failed; a higher Generation of the same job starts again at available.
const (
	// OfferAvailable: offered; the user may run it now.
	OfferAvailable OfferState = "available"
	// OfferDue: mandatory and its time (or the end of the user's deferral)
	// has passed: RunDue runs it without asking.
	OfferDue OfferState = "due"
	// OfferRunning: downloading, unpacking or running now.
	OfferRunning OfferState = "running"
	// OfferComplete: ran in this generation and succeeded (Last says
	// whether a reboot is needed).
	OfferComplete OfferState = "complete"
	// OfferFailed: ran in this generation and failed; the user may run it
	// again, nothing runs it again by itself.
	OfferFailed OfferState = "failed"
)

// Offer is one job offered to this computer, with what this computer made
// of it.
type Offer struct {
	protocol.Offer
	State OfferState `json:"state"`
	// Mandatory: the offer has a mandatory time and this computer honours
	// it (a slow link may excuse it).
	Mandatory bool `json:"mandatory"`
	// DueAt is when a mandatory offer runs by itself: its mandatory time,
	// or the end of the user's last deferral. Zero when not mandatory.
	DueAt time.Time `json:"due_at,omitempty"`
	// DeferralsLeft is how often the user may still say Later.
	DeferralsLeft int `json:"deferrals_left"`
	// NeedsInput: the command line is not automated, so it runs only when
	// a user starts it (or the window runs it at its mandatory time).
	NeedsInput bool `json:"needs_input"`
	// Downloaded is how many bytes of the archive are already in the cache
	// from a download in progress or interrupted.
	Downloaded int64 `json:"downloaded,omitempty"`
	// Last is this job's newest run on this computer, any generation.
	Last *HistoryEntry `json:"last,omitempty"`
}

// DropReason says why an instruction's offer is not shown.
type DropReason string

// Why offers are not shown.
const (
	DropNotYet    DropReason = "not-yet"   // offer time still ahead
	DropExpired   DropReason = "expired"   // expiry time passed
	DropPlatform  DropReason = "platform"  // no command line for this platform
	DropInvalid   DropReason = "invalid"   // malformed IDs or hash
	DropDuplicate DropReason = "duplicate" // the job is listed twice
)

// Dropped is an offer that is not shown, and why.
type Dropped struct {
	Offer  protocol.Offer
	Reason DropReason
	Detail string // a sentence
}

// offerInput is everything offer computation depends on, so that it is a
// pure function that tables and fuzzing can drive.
type offerInput struct {
	Instructions *protocol.Instructions
	Now          time.Time
	Platform     model.Platform
	SlowLink     bool
	Runs         map[string]RunRecord
	Running      map[string]bool
	Last         map[string]HistoryEntry
	Downloads    map[string]Download // by archive hash
}

var sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkOffer refuses an offer whose names would become file names on this
// computer or the share unless they are plain: the signature vouches for
// the administrator, not for every byte being sane.
func checkOffer(o protocol.Offer) error {
	if err := model.ValidJobID(o.Job); err != nil {
		return err
	}
	if err := model.ValidPackageID(o.Package); err != nil {
		return fmt.Errorf("job %s: %w", o.Job, err)
	}
	switch {
	case !sha256Pattern.MatchString(o.Archive):
		return fmt.Errorf("job %s: archive hash %q is not 64 lower-case hex digits", o.Job, o.Archive)
	case o.ArchiveSize < 0:
		return fmt.Errorf("job %s: archive size %d is negative", o.Job, o.ArchiveSize)
	case o.Command.Command == "":
		return fmt.Errorf("job %s: command line %q has no command", o.Job, o.Command.Name)
	case o.Command.Timeout < 0:
		return fmt.Errorf("job %s: time-out %v is negative", o.Job, o.Command.Timeout)
	}
	return nil
}

// computeOffers turns verified instructions into what this computer shows:
// offers whose time has come, that have not expired and that have a command
// line for this platform, each with its state. The rest come back as
// dropped, with the reason.
func computeOffers(in offerInput) ([]Offer, []Dropped) {
	if in.Instructions == nil {
		return nil, nil
	}
	var offers []Offer
	var dropped []Dropped
	seen := map[string]bool{}
	for _, o := range in.Instructions.Offers {
		if err := checkOffer(o); err != nil {
			dropped = append(dropped, Dropped{o, DropInvalid, err.Error()})
			continue
		}
		if seen[o.Job] {
			dropped = append(dropped, Dropped{o, DropDuplicate, fmt.Sprintf("job %s is listed more than once; the first one counts", o.Job)})
			continue
		}
		seen[o.Job] = true
		running := in.Running[o.Job]
		if !running { // a run in progress stays visible whatever the clock says
			if in.Now.Before(o.OfferAfter) {
				dropped = append(dropped, Dropped{o, DropNotYet, fmt.Sprintf("job %s is offered from %s", o.Job, o.OfferAfter.Format(time.RFC3339))})
				continue
			}
			if !o.ExpiresAfter.IsZero() && !in.Now.Before(o.ExpiresAfter) {
				dropped = append(dropped, Dropped{o, DropExpired, fmt.Sprintf("job %s expired at %s", o.Job, o.ExpiresAfter.Format(time.RFC3339))})
				continue
			}
			if !o.Command.RunsOn(in.Platform) {
				dropped = append(dropped, Dropped{o, DropPlatform, fmt.Sprintf("command line %q of job %s is for %s, not for %s", o.Command.Name, o.Job, o.Command.PlatformText(), in.Platform)})
				continue
			}
		}
		offers = append(offers, offerState(in, o))
	}
	return offers, dropped
}

// offerState computes one shown offer's state.
func offerState(in offerInput, o protocol.Offer) Offer {
	rec, ok := in.Runs[o.Job]
	if !ok || rec.Generation < o.Generation {
		rec = RunRecord{Job: o.Job, Generation: o.Generation} // offered again: start afresh
	}
	sameGen := rec.Generation == o.Generation
	v := Offer{
		Offer:      o,
		NeedsInput: !o.Command.Automated,
		Mandatory:  !o.MandatoryAfter.IsZero() && !(in.SlowLink && o.NotMandatoryOverSlowLinks),
	}
	if h, ok := in.Last[o.Job]; ok {
		v.Last = &h
	}
	if d, ok := in.Downloads[o.Archive]; ok {
		v.Downloaded = d.Done
	}
	v.DeferralsLeft = o.Deferrals
	if sameGen {
		v.DeferralsLeft -= rec.DeferralsUsed
	}
	if v.DeferralsLeft < 0 {
		v.DeferralsLeft = 0
	}
	if v.Mandatory {
		v.DueAt = o.MandatoryAfter
		if sameGen && rec.DeferredUntil.After(v.DueAt) {
			v.DueAt = rec.DeferredUntil
		}
	}
	switch {
	case in.Running[o.Job]:
		v.State = OfferRunning
	case rec.Ran: // in this generation or a newer one (a replayed older file)
		v.State = OfferComplete
		if rec.State != model.TargetComplete {
			v.State = OfferFailed
		}
	case v.Mandatory && !in.Now.Before(v.DueAt):
		v.State = OfferDue
	default:
		v.State = OfferAvailable
	}
	return v
}

// dueOffers picks the offers RunDue runs, earliest due first.
func dueOffers(offers []Offer, which func(Offer) bool) []Offer {
	var due []Offer
	for _, o := range offers {
		if o.State == OfferDue && which(o) {
			due = append(due, o)
		}
	}
	sort.SliceStable(due, func(i, j int) bool {
		if !due[i].DueAt.Equal(due[j].DueAt) {
			return due[i].DueAt.Before(due[j].DueAt)
		}
		return due[i].Job < due[j].Job
	})
	return due
}
