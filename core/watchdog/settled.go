package watchdog

import (
	"strconv"
	"strings"

	"opensms/core/model"
	"opensms/core/protocol"
)

// settledSet holds, per computer, the offers its client's signed result
// made moot: "JOB@GENERATION" of an active, uncancelled job that computer
// completed in that generation.
//
// Such an offer is left in a computer's instruction file instead of the
// file being rewritten without it: rewriting every file whose computer
// reported (1,000 results, 1,000 replaces, and their shard folders listed
// again twice) was most of a cycle taking in results at 10,000 computers.
// Nothing runs from it again by itself: the client recorded the run of
// that generation (the offer shows as complete). It goes with the next
// rewrite of the file, when the computer's offers change or the file is
// signed again (a third of its validity), or when the job finishes,
// is cancelled or deleted. A failed result withdraws the offer at once:
// a user may run a failed offer again, and its result would not be read.
type settledSet map[string]map[string]bool // computer → "JOB@GEN" → true

func settledOffers(runs []*runJob) settledSet {
	out := settledSet{}
	for _, rj := range runs {
		j := rj.job
		if j.Cancel || j.Status.State.Final() {
			continue
		}
		for c, ts := range rj.targets {
			if ts.State != model.TargetComplete {
				continue
			}
			if out[c] == nil {
				out[c] = map[string]bool{}
			}
			out[c][j.ID+"@"+strconv.Itoa(ts.Gen())] = true
		}
	}
	return out
}

// holds reports whether a computer's file holding the offers held (its
// offerEntries, nil when not known) still says what want (the entries of
// the offers it must hold now) says: it holds every offer wanted, as
// wanted, and the others it holds are settled.
func (s settledSet) holds(computer string, held, want []string) bool {
	if held == nil {
		return false
	}
	in := make(map[string]bool, len(held))
	for _, h := range held {
		in[h] = true
	}
	for _, w := range want {
		if !in[w] {
			return false
		}
		delete(in, w)
	}
	for h := range in {
		job, rest, _ := strings.Cut(h, "@")
		gen, _, _ := strings.Cut(rest, "@")
		if !s[computer][job+"@"+gen] {
			return false
		}
	}
	return true
}

// offerEntries names offers as "JOB@GENERATION@DIGEST", the digest of the
// offer's whole content, so that two lists of them compare offer by
// offer. Computers of one site are offered a job's generation alike, so
// it keeps each entry it made.
type offerEntries map[string]string // "JOB@GEN" of one offer → its entry

func (e offerEntries) of(offers []protocol.Offer) []string {
	out := make([]string, 0, len(offers))
	for _, o := range offers {
		key := o.Job + "@" + strconv.Itoa(o.Generation)
		entry, ok := e[key]
		if !ok {
			entry = key + "@" + protocol.InstructionsDigest(protocol.Instructions{Offers: []protocol.Offer{o}})[:16]
			if e != nil {
				e[key] = entry
			}
		}
		out = append(out, entry)
	}
	return out
}
