package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/storage/sambatest"
)

// The memory guard packs two files of memoryGuardMiB/2 (one
// incompressible, one text-like): small enough for CI (a few seconds of
// CPU), large enough that holding either file (64 MiB) or the archive
// (about 100 MB) in memory crosses memoryGuardLimit, the issue's own 200
// MB for 1 GiB. Measured on the bench's
// machine: pack and push peaks at 47 MB for 4 MiB, 147 MB for 128 MiB and
// 188 MB for 1 GiB (the packer's frames in flight, see core/pack/frames.go,
// not the size, set it); the client at 46 MB.
const (
	memoryGuardMiB   = 128
	memoryGuardLimit = 200e6
)

// TestMemoryGuard runs in `make test` what the bench's memory rows measure
// at 1 GiB, at a size CI can afford: a watchdog cycle that packs a 128 MiB
// source (half incompressible) and pushes it to a real Samba, then a client
// that fetches, verifies and unpacks it, each in a child process that
// reads its own peak RSS (VmHWM). It asserts memory, never time.
func TestMemoryGuard(t *testing.T) {
	dir := t.TempDir()
	srv := sambatest.Start(t, sambatest.Options{Shares: []string{"SITE", "SITE2", "DIST1", "DIST2", "DIST3", "DIST4", "DIST5"}})
	e := &env{t: t, dir: dir, srv: srv, port: srv.Port(), cred: srv.Credentials(), runs: 1}
	src := filepath.Join(dir, "src")
	makeSource(t, src, 2, memoryGuardMiB/2)
	// The packer compresses GOMAXPROCS frames at once: two, as on the
	// machine the limit was measured on, whatever CI's cores.
	rss, out, _ := child(e, src, "packpush", "GOMAXPROCS=2", "GOGC=100", "GOMEMLIMIT=off")
	job := between(out, "JOB=", "\n")
	if job == "" {
		t.Fatalf("the pack-and-push child named no job:\n%s", out)
	}
	t.Logf("pack and push %d MiB: peak RSS %.1f MB", memoryGuardMiB, float64(rss)/1e6)
	if rss >= memoryGuardLimit {
		t.Errorf("packing and pushing %d MiB peaked at %.1f MB resident, want < %.0f MB: something holds the archive or a source file in memory", memoryGuardMiB, float64(rss)/1e6, memoryGuardLimit/1e6)
	}
	rss, _, _ = child(e, src, "fetch", "BENCH_CHILD_JOB="+job, "GOMAXPROCS=2", "GOGC=100", "GOMEMLIMIT=off")
	t.Logf("fetch, verify, unpack %d MiB: peak RSS %.1f MB", memoryGuardMiB, float64(rss)/1e6)
	if rss >= memoryGuardLimit {
		t.Errorf("fetching and unpacking %d MiB peaked at %.1f MB resident, want < %.0f MB: something holds the archive or a file in memory", memoryGuardMiB, float64(rss)/1e6, memoryGuardLimit/1e6)
	}
}

// memoryRows: peak resident memory of a process that packs and pushes a
// 1 GiB source through the watchdog, and of a client that fetches,
// verifies and unpacks it. Each runs in a child process so that the
// parent's own memory does not count.
func memoryRows(e *env) []row {
	src := filepath.Join(e.dir, "gib")
	makeSource(e.t, src, 8, 128)
	settle(e.t) // the 1 GiB just written is not the child's to write back
	rss1, out, d1 := child(e, src, "packpush")
	job := between(out, "JOB=", "\n")
	if job == "" {
		e.t.Fatalf("bench child packpush named no job:\n%s", out)
	}
	settle(e.t)
	rss2, _, d2 := child(e, src, "fetch", "BENCH_CHILD_JOB="+job)
	r1 := row{Name: "memory pack+push", OursName: "watchdog cycle: pack 1 GiB, push to 1 server, offer", Ours: d1.Seconds(),
		OursRange: [2]float64{d1.Seconds(), d1.Seconds()}, OursMBs: 1 << 30 / d1.Seconds() / 1e6,
		Extra: map[string]float64{"peak_rss_MB": float64(rss1) / 1e6}}
	r1.target("< 200 MB", rss1 < 200e6)
	r2 := row{Name: "memory client", OursName: "client: fetch, verify, unpack 1 GiB, run", Ours: d2.Seconds(),
		OursRange: [2]float64{d2.Seconds(), d2.Seconds()}, OursMBs: 1 << 30 / d2.Seconds() / 1e6,
		Extra: map[string]float64{"peak_rss_MB": float64(rss2) / 1e6}}
	r2.target("< 200 MB", rss2 < 200e6)
	return []row{r1, r2}
}

// makeSource writes files files of mib MiB each under dir: the even ones
// incompressible, the odd ones text-like (a ratio of about 2).
func makeSource(t *testing.T, dir string, files, mib int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	words := []byte("setup.exe install msi package distribution server share client ")
	for f := 0; f < files; f++ {
		fh, err := os.Create(filepath.Join(dir, fmt.Sprintf("part%d.bin", f)))
		if err != nil {
			t.Fatal(err)
		}
		for m := 0; m < mib; m++ {
			if f%2 == 0 {
				for i := 0; i < len(buf); i += 8 {
					binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
				}
			} else {
				for i := range buf {
					buf[i] = words[rng.IntN(len(words))]
				}
			}
			if _, err := fh.Write(buf); err != nil {
				t.Fatal(err)
			}
		}
		if err := fh.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// child runs TestBenchChild in mode in a process of its own, so that the
// parent's memory does not count, and returns the child's peak RSS as it
// read it itself (rusage's maxrss on Linux keeps what the forking parent
// held, which is not the child's).
func child(e *env, src, mode string, extra ...string) (maxRSS int64, out string, d time.Duration) {
	t := e.t
	t.Helper()
	args := []string{"-test.run=^TestBenchChild$", "-test.v"}
	if dir := os.Getenv("BENCH_PROFILE_DIR"); dir != "" {
		// The 1 GiB rows explained from a profile: go tool pprof the file.
		args = append(args, "-test.cpuprofile="+filepath.Join(dir, "child-"+mode+".cpu"))
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "BENCH_CHILD="+mode, "BENCH_CHILD_DIR="+filepath.Join(e.dir, "mem"),
		"BENCH_CHILD_TREE="+src, "BENCH_CHILD_PORT="+strconv.Itoa(e.port), "BENCH_CHILD_USER="+e.cred.User,
		"BENCH_CHILD_PASSWORD="+e.cred.Password.Reveal())
	cmd.Env = append(cmd.Env, extra...)
	start := time.Now()
	b, err := cmd.CombinedOutput()
	d = time.Since(start)
	if err != nil {
		t.Fatalf("bench child %s: %v\n%s", mode, err, b)
	}
	kb, err := strconv.ParseInt(between(string(b), "VMHWM_KB=", "\n"), 10, 64)
	if err != nil {
		t.Fatalf("bench child %s reported no peak RSS:\n%s", mode, b)
	}
	return kb << 10, string(b), d
}

func between(s, start, end string) string {
	_, rest, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, end)
	return strings.TrimSpace(v)
}

// TestBenchChild is the child process of the memory rows; it does nothing
// unless BENCH_CHILD names its work.
func TestBenchChild(t *testing.T) {
	mode := os.Getenv("BENCH_CHILD")
	if mode == "" {
		t.Skip("a child process of make bench")
	}
	port, _ := strconv.Atoi(os.Getenv("BENCH_CHILD_PORT"))
	e := &env{t: t, dir: os.Getenv("BENCH_CHILD_DIR"), tree: os.Getenv("BENCH_CHILD_TREE"), port: port, runs: 1,
		cred: model.Credentials{User: os.Getenv("BENCH_CHILD_USER"), Password: model.NewSecret(os.Getenv("BENCH_CHILD_PASSWORD"))}}
	ctx := context.Background()
	switch mode {
	case "packpush":
		w := newWorld(e, "store")
		id := w.job(model.Target{Kind: model.TargetComputer, Name: benchComputer + "2"}, model.SendIfNotSent, false)
		w.cycle()
		if st := w.state(id); st.Working != model.PhaseComplete {
			t.Fatalf("job %s: working %q, %s", id, st.Working, st.LastError)
		}
		fmt.Printf("JOB=%s\n", id)
	case "fetch":
		eng, _ := newEngine(e, "client")
		site := e.url("SITE2")
		_, fp, err := eng.Probe(ctx, site, e.cred)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Enroll(ctx, site, e.cred, benchComputer+"2", fp); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if h, err := eng.Run(ctx, os.Getenv("BENCH_CHILD_JOB"), nil); err != nil {
			t.Fatalf("running: %v (%s)", err, h.Error)
		}
	}
	runtime.KeepAlive(e)
	hwm, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatalf("reading peak RSS: %v", err)
	}
	fmt.Printf("VMHWM_KB=%s\n", strings.TrimSuffix(strings.TrimSpace(between(string(hwm), "VmHWM:", "\n")), " kB"))
}
