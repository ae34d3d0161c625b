package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"
)

// The side-by-side run behind `make bench`. It is a test only so that it can
// use the Samba test helper; it is skipped unless OPENSMS_BENCH=1, so `make
// test` never runs it and it asserts no timing. Each pair runs A B B A A B
// ... so that neither side always goes first (into a page cache or a
// writeback the other left), flushes the disks with sync(1) before every
// sample, untimed, and reports the median with the spread (lowest and
// highest run) beside it.

// sample is one run's measurement: how long it took and the bytes it moved
// or produced.
type sample struct {
	d     time.Duration
	bytes int64 // bytes the row counts for throughput (source or archive)
	extra map[string]float64
}

// row is one line of the report.
type row struct {
	Name        string             `json:"name"`
	OursName    string             `json:"ours"`
	TheirsName  string             `json:"theirs,omitempty"`
	Ours        float64            `json:"ours_median_s"`
	Theirs      float64            `json:"theirs_median_s,omitempty"`
	OursRange   [2]float64         `json:"ours_min_max_s"`
	TheirsRange [2]float64         `json:"theirs_min_max_s,omitzero"`
	Ratio       float64            `json:"speed_ratio,omitempty"` // theirs/ours: above 1 means OpenSMS is faster
	OursMBs     float64            `json:"ours_mb_s,omitempty"`
	TheirsMBs   float64            `json:"theirs_mb_s,omitempty"`
	Target      string             `json:"target,omitempty"`
	Met         *bool              `json:"met,omitempty"`
	Extra       map[string]float64 `json:"extra,omitempty"`
	Note        string             `json:"note,omitempty"`
}

type report struct {
	Rows    []row  `json:"rows"`
	Machine string `json:"machine"`
	Runs    int    `json:"runs"`
	// Load is the 1-, 5- and 15-minute load average at the start and the
	// end of the run.
	Load string `json:"load"`
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread is the lowest and the highest of xs.
func spread(xs []float64) [2]float64 {
	if len(xs) == 0 {
		return [2]float64{}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return [2]float64{s[0], s[len(s)-1]}
}

// settle flushes what earlier samples left dirty in the page cache, so
// that their writeback does not land inside the next sample's time (the
// client row swung from 2.4 s to 13.4 s without it: an unpack's fsync
// waited for the previous run's 233 MB).
func settle(t *testing.T) {
	if out, err := exec.Command("sync").CombinedOutput(); err != nil {
		t.Fatalf("sync between bench samples: %v: %s", err, out)
	}
}

// pair runs ours and theirs n times each, in the order A B B A A B ...,
// with sync before each sample, and returns a row.
func pair(t *testing.T, n int, name, oursName, theirsName string, ours, theirs func() sample) row {
	t.Helper()
	var od, td, ob, tb []float64
	extras := map[string][]float64{}
	for i := 0; i < n; i++ {
		var a, b sample
		if i%2 == 0 {
			settle(t)
			a = ours()
			settle(t)
			b = theirs()
		} else {
			settle(t)
			b = theirs()
			settle(t)
			a = ours()
		}
		od = append(od, a.d.Seconds())
		td = append(td, b.d.Seconds())
		ob = append(ob, float64(a.bytes)/a.d.Seconds()/1e6)
		tb = append(tb, float64(b.bytes)/b.d.Seconds()/1e6)
		for k, v := range a.extra {
			extras["ours_"+k] = append(extras["ours_"+k], v)
		}
		for k, v := range b.extra {
			extras["theirs_"+k] = append(extras["theirs_"+k], v)
		}
		fmt.Fprintf(os.Stderr, "  %-22s run %d: ours %.3fs, theirs %.3fs\n", name, i+1, a.d.Seconds(), b.d.Seconds())
	}
	r := row{Name: name, OursName: oursName, TheirsName: theirsName, Ours: median(od), Theirs: median(td), OursRange: spread(od), TheirsRange: spread(td)}
	if r.Ours > 0 {
		r.Ratio = r.Theirs / r.Ours
	}
	if median(ob) > 0 {
		r.OursMBs, r.TheirsMBs = median(ob), median(tb)
	}
	if len(extras) > 0 {
		r.Extra = map[string]float64{}
		for k, v := range extras {
			r.Extra[k] = median(v)
		}
	}
	return r
}

// single runs one side n times, with sync before each (rows with no
// outside tool).
func single(t *testing.T, n int, name, oursName string, ours func() sample) row {
	var od, ob []float64
	extras := map[string][]float64{}
	for i := 0; i < n; i++ {
		settle(t)
		a := ours()
		od = append(od, a.d.Seconds())
		if a.bytes > 0 {
			ob = append(ob, float64(a.bytes)/a.d.Seconds()/1e6)
		}
		for k, v := range a.extra {
			extras[k] = append(extras[k], v)
		}
		fmt.Fprintf(os.Stderr, "  %-22s run %d: %.3fs\n", name, i+1, a.d.Seconds())
	}
	r := row{Name: name, OursName: oursName, Ours: median(od), OursMBs: median(ob), OursRange: spread(od)}
	if len(extras) > 0 {
		r.Extra = map[string]float64{}
		for k, v := range extras {
			r.Extra[k] = median(v)
		}
	}
	return r
}

func (r *row) target(desc string, met bool) {
	r.Target = desc
	r.Met = &met
}

func printReport(w io.Writer, rep report) {
	fmt.Fprintf(w, "\nOpenSMS side by side (%s, medians of %d runs in the order A B B A, sync before each; load %s)\n\n", rep.Machine, rep.Runs, rep.Load)
	fmt.Fprintf(w, "%-18s %10s %15s %10s %15s %8s %10s %10s  %-30s %s\n", "row", "OpenSMS", "spread", "tool", "spread", "ratio", "ours MB/s", "tool MB/s", "target", "extra")
	fmt.Fprintln(w, strings.Repeat("-", 160))
	for _, r := range rep.Rows {
		theirs, ratio, tmb, omb, tspread := "-", "-", "-", "-", "-"
		if r.TheirsName != "" {
			theirs = fmt.Sprintf("%.3fs", r.Theirs)
			tspread = fmt.Sprintf("%.3f–%.3f", r.TheirsRange[0], r.TheirsRange[1])
			ratio = fmt.Sprintf("%.2fx", r.Ratio)
		}
		if r.OursMBs > 0 {
			omb = fmt.Sprintf("%.1f", r.OursMBs)
		}
		if r.TheirsMBs > 0 {
			tmb = fmt.Sprintf("%.1f", r.TheirsMBs)
		}
		tgt := r.Target
		if r.Met != nil {
			if *r.Met {
				tgt += " ok"
			} else {
				tgt += " MISSED"
			}
		}
		var ex []string
		keys := make([]string, 0, len(r.Extra))
		for k := range r.Extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ex = append(ex, fmt.Sprintf("%s=%.4g", k, r.Extra[k]))
		}
		ospread := fmt.Sprintf("%.3f–%.3f", r.OursRange[0], r.OursRange[1])
		fmt.Fprintf(w, "%-18s %9.3fs %15s %10s %15s %8s %10s %10s  %-30s %s\n", r.Name, r.Ours, ospread, theirs, tspread, ratio, omb, tmb, tgt, strings.Join(ex, " "))
		fmt.Fprintf(w, "%-18s   ours: %s", "", r.OursName)
		if r.TheirsName != "" {
			fmt.Fprintf(w, " | tool: %s", r.TheirsName)
		}
		if r.Note != "" {
			fmt.Fprintf(w, " | %s", r.Note)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nratio = tool time / OpenSMS time: above 1.00x OpenSMS is faster; spread = fastest–slowest run.")
}

// missed lists the rows whose target was missed, for BENCH_STRICT=1.
func missed(rep report) []string {
	var out []string
	for _, r := range rep.Rows {
		if r.Met != nil && !*r.Met {
			out = append(out, fmt.Sprintf("%s (%s)", r.Name, r.Target))
		}
	}
	return out
}

// loadAverage is /proc/loadavg's 1-, 5- and 15-minute figures, which every
// wall-clock figure of a shared machine needs beside it.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func writeJSON(t *testing.T, path string, rep report) {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatalf("encoding the bench report: %v", err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatalf("writing the bench report to %s: %v", path, err)
	}
}
