package watchdog_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/share"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/sambatest"
	"opensms/storage/shares"
)

// TestScaleCycle builds the bench's scale world (3 sites on a real Samba,
// 10,000 computers, 100 Run jobs, a tenth of the computers reporting) and
// times the first and the steady cycles, counting the share operations of
// each. It is a measurement, not a check of speed: it runs only with
// OPENSMS_SCALE=1, and with OPENSMS_SCALE_PROFILE=DIR writes a CPU profile
// of each cycle there, and OPENSMS_SCALE_SAMBA adds lines to smbd's
// [global] section.
func TestScaleCycle(t *testing.T) {
	if os.Getenv("OPENSMS_SCALE") == "" {
		t.Skip("set OPENSMS_SCALE=1 to measure a cycle at 10,000 computers")
	}
	siteShares := []string{"SITE", "SITE2", "SITE3"}
	var global []string // OPENSMS_SCALE_SAMBA="key = value; key = value" tunes smbd
	for _, g := range strings.Split(os.Getenv("OPENSMS_SCALE_SAMBA"), ";") {
		if g = strings.TrimSpace(g); g != "" {
			global = append(global, g)
		}
	}
	srv := sambatest.Start(t, sambatest.Options{Shares: append(append([]string{}, siteShares...), "DIST1", "DIST2", "DIST3"), Global: global})
	st, err := badgerstore.Open(filepath.Join(t.TempDir(), "store"), badgerstore.Options{})
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	cred := srv.Credentials()
	sites := []string{"S01", "S02", "S03"}
	for i, code := range sites {
		parent := ""
		if i > 0 {
			parent = "S01"
		}
		must(t, st.PutSite(bg, model.Site{Code: code, Name: "Scale " + code, Parent: parent, Share: shareURL(srv, siteShares[i]), Credentials: cred}))
		must(t, st.PutServer(bg, model.Server{Site: code, Name: "dist", URL: shareURL(srv, fmt.Sprintf("DIST%d", i+1)), Credentials: cred, Default: true}))
	}
	const computers = 10000
	var cs []model.Computer
	for i := range computers {
		cs = append(cs, withKey(model.Computer{Name: fmt.Sprintf("PC%05d", i), Site: sites[i%3], Platform: "linux/amd64"}))
	}
	must(t, st.PutComputers(bg, cs...))
	for g := range 20 {
		var members []string
		for i := g * 50; i < g*50+100; i++ {
			members = append(members, fmt.Sprintf("PC%05d", i))
		}
		must(t, st.PutGroup(bg, model.MachineGroup{Name: fmt.Sprintf("Group%02d", g), Members: members}))
	}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "install.sh"), []byte("#!/bin/sh\necho installed\n"))
	cl := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	cl.ApplyDefaults()
	var pkgs []model.Package
	for p := range 10 {
		pkg, err := st.CreatePackage(bg, model.Package{Name: fmt.Sprintf("Scale %d", p), Version: "1", Source: src, Commands: []model.CommandLine{cl}})
		must(t, err)
		pkgs = append(pkgs, pkg)
	}
	for n := range 100 {
		var tg model.Target
		switch {
		case n < 3:
			tg = model.Target{Kind: model.TargetSite, Name: sites[n]}
		case n < 23:
			tg = model.Target{Kind: model.TargetGroup, Name: fmt.Sprintf("Group%02d", n-3)}
		default:
			tg = model.Target{Kind: model.TargetComputer, Name: fmt.Sprintf("PC%05d", (n*7919)%computers)}
		}
		j := model.Job{}
		j.ApplyDefaults()
		j.Package, j.Target, j.Run.Command = pkgs[n%len(pkgs)].ID, tg, "Install"
		j.Schedule.StartAfter = time.Now().Add(-time.Minute)
		j.Run.OfferAfter = j.Schedule.StartAfter
		_, err := st.CreateJob(bg, j)
		must(t, err)
	}
	op := &countingOpener{Opener: shares.NewOpener(), n: map[string]int{}, d: map[string]time.Duration{}}
	logs := &syncBuffer{}
	cfg := watchdog.Config{Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	tst := &timedStore{Store: st}
	svc := watchdog.New(tst, op, cfg)
	profDir := os.Getenv("OPENSMS_SCALE_PROFILE")
	cycle := func(name string) {
		t.Helper()
		op.reset()
		tst.reset()
		if profDir != "" {
			f, err := os.Create(filepath.Join(profDir, name+".pprof"))
			must(t, err)
			must(t, pprof.StartCPUProfile(f))
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
		cpu0, smb0 := cpuTime(), smbdTime(srv.ConfPath())
		start := time.Now()
		must(t, svc.RunOnce(bg))
		t.Logf("%s: %.3fs wall, %.3fs CPU in this process, %.3fs in smbd; share operations: %s", name, time.Since(start).Seconds(), (cpuTime() - cpu0).Seconds(), (smbdTime(srv.ConfPath()) - smb0).Seconds(), op.summary())
		t.Logf("  store writes: %s", tst.summary())
		warned := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "cycle phases") {
				t.Logf("  %s", line[strings.Index(line, "msg="):])
			}
			if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
				if warned++; warned <= 3 {
					t.Logf("  %s", line)
				}
			}
		}
		if warned > 0 {
			t.Logf("  %d warnings and errors", warned)
		}
		logs.reset()
	}
	cycle("first")
	jobs, err := st.ListJobs(bg)
	must(t, err)
	for _, j := range jobs {
		if j.Status.State != model.JobActive {
			t.Fatalf("job %s is %s after the first cycle: %s", j.ID, j.Status.State, j.Status.LastError)
		}
	}
	report := func() {
		for i := 0; i < computers; i += 10 {
			name := fmt.Sprintf("PC%05d", i)
			code := 0
			for _, j := range jobs {
				if j.Target.Kind == model.TargetSite && j.Target.Name == sites[i%3] {
					b, err := protocol.EncodeStatus(computerKey(name), protocol.Status{Format: protocol.StatusFormat, Job: j.ID, Computer: name, Generation: 1, State: model.TargetComplete, ExitCode: &code, Attempts: 1, Written: time.Now()})
					must(t, err)
					p, _ := protocol.StatusPath(name, j.ID)
					writeFile(t, filepath.Join(srv.Dir(siteShares[i%3]), filepath.FromSlash(p)), b)
				}
			}
		}
	}
	report()
	cycle("steady1")
	cycle("steady2")
	cycle("steady3")
	// A restarted watchdog knows nothing of what the last one collected.
	svc = watchdog.New(tst, op, cfg)
	cycle("restart")
	cycle("restart-steady")
}

// smbdTime sums the CPU time of the smbd processes serving conf, and of
// their children that ended (one per closed session).
func smbdTime(conf string) time.Duration {
	var ticks int64
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		cmd, err := os.ReadFile(p)
		if err != nil || !strings.Contains(string(cmd), conf) {
			continue
		}
		stat, err := os.ReadFile(filepath.Join(filepath.Dir(p), "stat"))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
		if len(f) > 14 { // utime, stime, and of the children that ended: cutime, cstime
			for _, x := range f[11:15] {
				n, _ := strconv.ParseInt(x, 10, 64)
				ticks += n
			}
		}
	}
	return time.Duration(ticks) * (time.Second / 100)
}

// timedStore times the store's writes.
type timedStore struct {
	*badgerstore.Store
	mu             sync.Mutex
	events, puts   int
	eventsT, putsT time.Duration
}

func (s *timedStore) AppendEvent(ctx context.Context, e model.Event) (model.Event, error) {
	start := time.Now()
	e, err := s.Store.AppendEvent(ctx, e)
	s.mu.Lock()
	s.events++
	s.eventsT += time.Since(start)
	s.mu.Unlock()
	return e, err
}

func (s *timedStore) AppendEvents(ctx context.Context, events []model.Event) ([]model.Event, error) {
	start := time.Now()
	out, err := s.Store.AppendEvents(ctx, events)
	s.mu.Lock()
	s.events += len(events)
	s.eventsT += time.Since(start)
	s.mu.Unlock()
	return out, err
}

func (s *timedStore) PutTargetStatuses(ctx context.Context, ts ...model.TargetStatus) error {
	start := time.Now()
	err := s.Store.PutTargetStatuses(ctx, ts...)
	s.mu.Lock()
	s.puts++
	s.putsT += time.Since(start)
	s.mu.Unlock()
	return err
}

func (s *timedStore) reset() {
	s.mu.Lock()
	s.events, s.puts, s.eventsT, s.putsT = 0, 0, 0, 0
	s.mu.Unlock()
}

func (s *timedStore) summary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d events (%.2fs), %d PutTargetStatuses (%.2fs)", s.events, s.eventsT.Seconds(), s.puts, s.putsT.Seconds())
}

// countingOpener counts the share operations, by kind and by the share
// folder they touch.
type countingOpener struct {
	share.Opener
	mu sync.Mutex
	n  map[string]int
	d  map[string]time.Duration
}

func (o *countingOpener) Open(ctx context.Context, loc model.Location, cred model.Credentials) (share.FS, error) {
	done := o.add("connect", "")
	fsys, err := o.Opener.Open(ctx, loc, cred)
	done()
	if err != nil {
		return nil, err
	}
	return countingFS{FS: fsys, o: o}, nil
}

func (o *countingOpener) add(op, name string) func() {
	dir, _, _ := strings.Cut(name, "/")
	if strings.HasSuffix(dir, protocol.ArchiveExt) || strings.HasPrefix(dir, "S0") {
		dir = "packages"
	}
	if strings.Contains(dir, ".tmp-") {
		dir = "tmp"
	}
	o.mu.Lock()
	o.n[op+" "+dir]++
	o.mu.Unlock()
	start := time.Now()
	return func() {
		o.mu.Lock()
		o.d[op+" "+dir] += time.Since(start)
		o.mu.Unlock()
	}
}

func (o *countingOpener) reset() {
	o.mu.Lock()
	clear(o.n)
	clear(o.d)
	o.mu.Unlock()
}

func (o *countingOpener) summary() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var keys []string
	total := 0
	for k, v := range o.n {
		keys = append(keys, fmt.Sprintf("%s=%d (%.2fs)", k, v, o.d[k].Seconds()))
		total += v
	}
	sort.Strings(keys)
	return fmt.Sprintf("%d: %s", total, strings.Join(keys, ", "))
}

type countingFS struct {
	share.FS
	o *countingOpener
}

func (f countingFS) Stat(name string) (fs.FileInfo, error) {
	defer f.o.add("stat", name)()
	return f.FS.Stat(name)
}

func (f countingFS) OpenFile(name string, flag int) (share.File, error) {
	defer f.o.add("open", name)()
	return f.FS.OpenFile(name, flag)
}

func (f countingFS) Open(name string) (share.File, error) {
	defer f.o.add("open", name)()
	return f.FS.Open(name)
}

func (f countingFS) ReadDir(name string) ([]fs.FileInfo, error) {
	defer f.o.add("list", name)()
	return f.FS.ReadDir(name)
}

func (f countingFS) MkdirAll(name string) error {
	defer f.o.add("mkdir", name)()
	return f.FS.MkdirAll(name)
}

// Mkdir passes the short way on (share.Mkdirer), counted, when the share
// has it; MakeFolder takes the long way otherwise.
func (f countingFS) Mkdir(name string) error {
	m, ok := f.FS.(share.Mkdirer)
	if !ok {
		return fmt.Errorf("mkdir %s: %w", name, fs.ErrExist)
	}
	defer f.o.add("mkdir1", name)()
	return m.Mkdir(name)
}

func (f countingFS) Rename(oldname, newname string) error {
	defer f.o.add("rename", newname)()
	return f.FS.Rename(oldname, newname)
}

func (f countingFS) Remove(name string) error {
	defer f.o.add("remove", name)()
	return f.FS.Remove(name)
}
