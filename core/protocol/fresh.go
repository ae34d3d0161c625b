package protocol

import (
	"errors"
	"time"
)

// ErrStale is what CheckFresh's errors wrap: the instructions are signed
// by the right key but must not be acted on now (an old file put back, a
// file past its validity, a file without either).
var ErrStale = errors.New("instructions not fresh")

// CheckFresh refuses verified instructions that are older than the newest
// a client accepted (accepted is that file's Sequence; 0 when none) or past
// their ValidUntil at now. It knows nothing of where the file came from, so
// it holds whatever the share's layout becomes.
func CheckFresh(ins Instructions, accepted uint64, now time.Time) error {
	switch {
	case ins.Sequence == 0 || ins.ValidUntil.IsZero():
		return errorf(ErrStale, "the instructions carry no sequence number or validity (the site runs an older OpenSMS): update the site's OpenSMS")
	case ins.Sequence < accepted:
		return errorf(ErrStale, "the instructions are number %d, older than number %d already accepted here: an old file was put back on the share, and nothing from it runs", ins.Sequence, accepted)
	case now.After(ins.ValidUntil):
		return errorf(ErrStale, "the instructions were valid until %s and the site has not signed them again since: is the site's watchdog running?", ins.ValidUntil.UTC().Format(time.RFC3339))
	}
	return nil
}

// Freshness is how the watchdog numbers and dates a computer's next
// instruction file.
type Freshness struct {
	// Validity is how long a file stays valid; DefaultValidity when 0.
	Validity time.Duration
}

// DefaultValidity is how long an instruction file stays valid.
const DefaultValidity = 72 * time.Hour

func (f Freshness) validity() time.Duration {
	if f.Validity > 0 {
		return f.Validity
	}
	return DefaultValidity
}

// Next numbers and dates a file signed at now, after one numbered last
// (0: none known). The number is now in microseconds, so it grows across
// restarts and a lost index, and at least last+1, so it grows even when
// the clock steps back.
func (f Freshness) Next(now time.Time, last uint64) (seq uint64, validUntil time.Time) {
	seq = uint64(max(now.UnixMicro(), 1))
	if seq <= last {
		seq = last + 1
	}
	return seq, now.Add(f.validity()).UTC().Round(time.Second)
}

// Due reports whether a file valid until validUntil must be signed again
// at now: when a third of its validity has passed, so that a watchdog
// that misses cycles for a day still re-signs in time.
func (f Freshness) Due(validUntil, now time.Time) bool {
	return validUntil.IsZero() || validUntil.Sub(now) < f.validity()*2/3
}
