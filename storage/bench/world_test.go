package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/clientstore"
	"opensms/storage/shares"
)

// world is an Administrator's store with sites on the bench's Samba, and a
// watchdog over it: the rows that measure the product drive it as an
// administrator would, through jobs.
type world struct {
	e   *env
	st  *badgerstore.Store
	wd  *watchdog.Service
	pkg model.Package

	// written counts the bytes the watchdog writes to files of the
	// package's folder (its archives) on every share, at the FS: an update
	// stream may drop messages, a count of writes does not.
	written *atomic.Int64
}

const benchComputer = "BENCHPC"

func newWorld(e *env, name string) *world {
	t := e.t
	ctx := context.Background()
	st, err := badgerstore.Open(filepath.Join(e.dir, name), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cred := e.cred
	plat := model.Platform(runtime.GOOS + "/" + runtime.GOARCH)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// S01 has four default servers, S02 one: the fan-out row compares them.
	must(st.PutSite(ctx, model.Site{Code: "S01", Name: "Four servers", Share: e.url("SITE"), Credentials: cred}))
	must(st.PutSite(ctx, model.Site{Code: "S02", Name: "One server", Parent: "S01", Share: e.url("SITE2"), Credentials: cred}))
	for i := 1; i <= 4; i++ {
		must(st.PutServer(ctx, model.Server{Site: "S01", Name: fmt.Sprintf("dist%d", i), URL: e.url(fmt.Sprintf("DIST%d", i)), Credentials: cred, Default: true}))
	}
	must(st.PutServer(ctx, model.Server{Site: "S02", Name: "dist5", URL: e.url("DIST5"), Credentials: cred, Default: true}))
	must(st.PutComputers(ctx, model.Computer{Name: benchComputer, Site: "S01", Platform: plat}, model.Computer{Name: benchComputer + "2", Site: "S02", Platform: plat}))
	cl := model.CommandLine{Name: "Install", Command: "true", Platforms: []model.Platform{plat}, Automated: true}
	cl.ApplyDefaults()
	pkg, err := st.CreatePackage(ctx, model.Package{Name: "Bench tree", Version: "1", Source: e.tree, Commands: []model.CommandLine{cl}})
	must(err)
	w := &world{e: e, st: st, pkg: pkg, written: new(atomic.Int64)}
	w.wd = watchdog.New(st, countingOpener{shares.NewOpener(), pkg.ID + "/", w.written}, watchdog.Config{})
	return w
}

// countingOpener counts the bytes written to files under prefix on the
// shares it opens.
type countingOpener struct {
	share.Opener
	prefix string
	n      *atomic.Int64
}

func (o countingOpener) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	fsys, err := o.Opener.Open(ctx, loc, cred)
	if err != nil {
		return nil, err
	}
	return countingFS{fsys, o}, nil
}

type countingFS struct {
	share.FS
	o countingOpener
}

func (c countingFS) OpenFile(name string, flag int) (share.File, error) {
	f, err := c.FS.OpenFile(name, flag)
	if err != nil || !strings.HasPrefix(name, c.o.prefix) {
		return f, err
	}
	return countingFile{f, c.o.n}, nil
}

// countingFile keeps WriteAt, through which PutAtomic writes in parallel
// when the file has it, so that counting does not change how bytes move.
type countingFile struct {
	share.File
	n *atomic.Int64
}

func (c countingFile) Write(b []byte) (int, error) {
	n, err := c.File.Write(b)
	c.n.Add(int64(n))
	return n, err
}

func (c countingFile) WriteAt(b []byte, off int64) (int, error) {
	wa, ok := c.File.(io.WriterAt)
	if !ok {
		return 0, fmt.Errorf("bench: %T has no WriteAt", c.File)
	}
	n, err := wa.WriteAt(b, off)
	c.n.Add(int64(n))
	return n, err
}

// job adds a pending job for the package and returns its ID.
func (w *world) job(target model.Target, send model.SendMode, refresh bool) string {
	j := model.Job{}
	j.ApplyDefaults()
	j.Type, j.Package, j.Target, j.Send = model.JobRun, w.pkg.ID, target, send
	j.Distribute.RefreshExisting = refresh
	j.Run.Command = "Install"
	j.Schedule.StartAfter = time.Now().Add(-time.Second)
	j.Run.OfferAfter = j.Schedule.StartAfter
	j, err := w.st.CreateJob(context.Background(), j)
	if err != nil {
		w.e.t.Fatalf("adding a job: %v", err)
	}
	return j.ID
}

// cycle runs one watchdog cycle and fails the bench on an error.
func (w *world) cycle() time.Duration {
	start := time.Now()
	if err := w.wd.RunOnce(context.Background()); err != nil {
		w.e.t.Fatalf("watchdog cycle: %v", err)
	}
	return time.Since(start)
}

// timedCycle is cycle measured as timed measures: wall clock and CPU.
func (w *world) timedCycle() sample {
	return timed(func() (int64, map[string]float64) { w.cycle(); return 0, nil })
}

func (w *world) state(id string) model.JobStatus {
	j, err := w.st.GetJob(context.Background(), id)
	if err != nil {
		w.e.t.Fatal(err)
	}
	return j.Status
}

// settle cancels a job so later cycles do not carry it.
func (w *world) settle(id string) {
	if err := w.wd.CancelJob(context.Background(), id); err != nil {
		w.e.t.Fatalf("canceling %s: %v", id, err)
	}
}

// bytesWritten is what the watchdog has written to files on the shares,
// instructions included.
func (w *world) bytesWritten() int64 { return w.written.Load() }

// fanoutRows: the same archive to four servers vs to one, through the
// watchdog's Distribute phase (refresh, so every run really pushes).
func fanoutRows(e *env) []row {
	w := newWorld(e, "fanout")
	prime := w.job(model.Target{Kind: model.TargetSite, Name: "S01", Subsites: true}, model.SendIfNotSent, false)
	w.cycle() // packs once; both sites' servers get it
	if st := w.state(prime); st.Working != model.PhaseComplete {
		e.t.Fatalf("priming job %s: working %q, %s", prime, st.Working, st.LastError)
	}
	w.settle(prime)
	runs := map[string]int{}
	run := func(site string) sample {
		id := w.job(model.Target{Kind: model.TargetSite, Name: site}, model.SendIfNotSent, true)
		runs[site]++
		stop := profileCPU(e, fmt.Sprintf("fanout-%s-%d", site, runs[site]))
		before, smbd := w.bytesWritten(), smbdCPU(e.srv)
		s := w.timedCycle()
		stop()
		s.extra["smbd_cpu_s"] = (smbdCPU(e.srv) - smbd).Seconds()
		if st := w.state(id); st.Working != model.PhaseComplete {
			e.t.Fatalf("job %s to %s: working %q, %s", id, site, st.Working, st.LastError)
		}
		w.settle(id)
		s.bytes = w.bytesWritten() - before
		return s
	}
	r := pair(e.t, e.runs, "fan-out 4 vs 1", "4 servers (S01): four shares of one loopback smbd", "1 server (S02), also OpenSMS", func() sample { return run("S01") }, func() sample { return run("S02") })
	r.Note = "ratio here = one server's time / four servers' time; the 4 servers share this machine's cores with each other and the watchdog; cpu_s is the watchdog's, smbd_cpu_s the servers'"
	r.target("4 servers ≤ 1.5x one", r.Ours <= 1.5*r.Theirs)
	return []row{r}
}

// profileCPU profiles this process into BENCH_PROFILE_DIR/name.cpu until
// the returned func runs, when the variable is set: the rows that run in
// this process explained from a profile (go tool pprof -top the files).
func profileCPU(e *env, name string) func() {
	dir := os.Getenv("BENCH_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		e.t.Fatal(err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// resendRows: a second if-not-sent job for an unchanged package packs and
// moves nothing.
func resendRows(e *env) []row {
	w := newWorld(e, "resend")
	ctx := context.Background()
	first := w.job(model.Target{Kind: model.TargetSite, Name: "S01"}, model.SendIfNotSent, false)
	w.cycle()
	w.settle(first)
	a0, err := w.st.LatestArchive(ctx, w.pkg.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	r := single(e.t, e.runs, "re-send unchanged", "if-not-sent job again", func() sample {
		before := w.bytesWritten()
		id := w.job(model.Target{Kind: model.TargetSite, Name: "S01"}, model.SendIfNotSent, false)
		s := w.timedCycle()
		if st := w.state(id); st.Working != model.PhaseComplete {
			e.t.Fatalf("re-send job %s: working %q, %s", id, st.Working, st.LastError)
		}
		w.settle(id)
		a, err := w.st.LatestArchive(ctx, w.pkg.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		packed := 0.0
		if !a.Created.Equal(a0.Created) {
			packed = float64(a.SourceBytes)
		}
		s.extra["bytes_packed"], s.extra["archive_bytes_moved"] = packed, float64(w.bytesWritten()-before)
		return s
	})
	r.Note = "bytes moved: counted from the writes to the package's files on the shares"
	r.target("0 archive bytes moved", r.Extra["archive_bytes_moved"] == 0 && r.Extra["bytes_packed"] == 0)
	return []row{r}
}

// clientRows: what a client does with an offer (fetch, verify, unpack) vs
// smbclient get then zstd -d | tar -x.
func clientRows(e *env) []row {
	t := e.t
	ctx := context.Background()
	w := newWorld(e, "client")
	id := w.job(model.Target{Kind: model.TargetComputer, Name: benchComputer}, model.SendIfNotSent, false)
	w.cycle()
	if st := w.state(id); st.Working != model.PhaseComplete {
		t.Fatalf("client job %s: working %q, %s", id, st.Working, st.LastError)
	}
	a, err := w.st.LatestArchive(ctx, w.pkg.ID)
	if err != nil {
		t.Fatal(err)
	}
	probe, _ := newEngine(e, "probe")
	_, fp, err := probe.Probe(ctx, e.url("SITE"), e.cred)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ours := func() sample {
		n++
		eng, closeStore := newEngine(e, fmt.Sprintf("client-%d", n))
		if _, err := eng.Enroll(ctx, e.url("SITE"), e.cred, benchComputer, fp); err != nil {
			t.Fatalf("enrolling: %v", err)
		}
		if _, err := eng.Poll(ctx); err != nil {
			t.Fatalf("polling: %v", err)
		}
		s := timed(func() (int64, map[string]float64) {
			h, err := eng.Run(ctx, id, nil)
			if err != nil {
				t.Fatalf("running %s: %v (%s)", id, err, h.Error)
			}
			return a.SourceBytes, nil
		})
		closeStore()
		os.RemoveAll(filepath.Join(e.dir, fmt.Sprintf("client-%d", n)))
		return s
	}
	theirs := func() sample {
		n++
		dst := filepath.Join(e.dir, fmt.Sprintf("cli-%d", n))
		os.MkdirAll(dst, 0o755)
		name, _ := protocol.ArchivePath(w.pkg.ID, a.SHA256)
		local := filepath.Join(e.dir, fmt.Sprintf("cli-%d.tzst", n))
		s := timed(func() (int64, map[string]float64) {
			if out, err := e.smbclient("DIST1", fmt.Sprintf("get %s %s", name, local)).CombinedOutput(); err != nil {
				t.Fatalf("smbclient get: %v: %s", err, out)
			}
			if err := e.sh(fmt.Sprintf("sha256sum %q >/dev/null && zstd -d -q -c %q | tar -x -C %q", local, local, dst)); err != nil {
				t.Fatal(err)
			}
			return a.SourceBytes, nil
		})
		os.RemoveAll(dst)
		os.Remove(local)
		return s
	}
	r := pair(t, e.runs, "client", "Engine.Run: fetch+verify+unpack+run true", "smbclient get; sha256sum; zstd -d | tar -x", ours, theirs)
	r.target("≥0.8x", r.Ratio >= 0.8)
	return []row{r}
}

// newEngine makes a client engine with its own store under e.dir/name; the
// store closes when the bench ends, or earlier through the returned func
// (which must run before its folder is removed: Badger cannot close over a
// deleted folder).
func newEngine(e *env, name string) (*client.Engine, func()) {
	dir := filepath.Join(e.dir, name)
	cs, err := clientstore.Open(filepath.Join(dir, "state"))
	if err != nil {
		e.t.Fatal(err)
	}
	var once sync.Once
	closeStore := func() { once.Do(func() { cs.Close() }) }
	e.t.Cleanup(closeStore)
	eng, err := client.New(client.Config{DataDir: dir, Computer: benchComputer, Opener: shares.NewOpener()}, cs)
	if err != nil {
		e.t.Fatal(err)
	}
	return eng, closeStore
}

// runOnceRow: one whole watchdog cycle that packs the tree and pushes it to
// one server for a new job, as `smsctl watchdog run-once` does, against
// theirs, the shell pipeline tar | zstd | smbclient put. Each side removes
// its output untimed.
func runOnceRow(e *env, theirs func() sample) row {
	t := e.t
	w := newWorld(e, "runonce")
	n := 0
	ours := func() sample {
		id := w.job(model.Target{Kind: model.TargetSite, Name: "S02"}, model.SendAlways, true)
		before := w.bytesWritten()
		n++
		stop := profileCPU(e, fmt.Sprintf("runonce-%d", n))
		s := w.timedCycle()
		stop()
		st := w.state(id)
		if st.Working != model.PhaseComplete {
			t.Fatalf("run-once job %s: working %q, %s", id, st.Working, st.LastError)
		}
		moved := w.bytesWritten() - before
		w.settle(id)
		name, err := protocol.ArchivePath(w.pkg.ID, st.Archive)
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(e.srv.Dir("DIST5"), filepath.FromSlash(name)))
		os.RemoveAll(filepath.Join(e.dir, "runonce", "archives", w.pkg.ID))
		s.bytes, s.extra["archive_MB"] = e.srcSize, float64(moved)/1e6
		return s
	}
	r := pair(t, e.runs, "watchdog run-once", "one cycle: new job, pack, push to 1 server, offer", "tar | zstd -3 -T0 | smbclient put /dev/stdin", ours, theirs)
	r.Note = e.wireNote()
	r.target("≤1.0x the pipeline's time", r.Ratio >= 1.0)
	return r
}
