package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/core/watchdog"
	"opensms/storage/badgerstore"
	"opensms/storage/sambatest"
	"opensms/storage/shares"
)

// scaleRows: one watchdog cycle with 10,000 computers in 3 sites and 100
// jobs, over Samba site shares; and what the store weighs. Run twice: on
// the bench's Samba as configured by default, and on one whose shares are
// case sensitive, which spares smbd a scan of the 10,000-entry instructions
// folder for every new name (a setting an administrator can choose for a
// site share, since OpenSMS writes its names in one case).
func scaleRows(e *env) []row {
	rows := scaleOn(e, e.srv, "scale", "")
	tuned := sambatest.Start(e.t, sambatest.Options{
		Shares: []string{"SITE", "SITE2", "SITE3", "DIST1", "DIST2", "DIST3"},
		User:   e.cred.User, Password: e.cred.Password.Reveal(),
		Global: []string{"case sensitive = yes"}})
	e2 := *e
	e2.port = tuned.Port()
	return append(rows, scaleOn(&e2, tuned, "scale-cs", " (case sensitive = yes)")...)
}

// scaleWorld builds the scale world in a new store under dir, over site
// and distribution shares emptied first: 3 sites, 10,000 computers, 20
// groups, 10 packages, 100 jobs due now. The caller closes the store.
func scaleWorld(e *env, srv *sambatest.Server, dir string) *badgerstore.Store {
	t := e.t
	ctx := context.Background()
	// The last world's files are moved aside, not deleted: they go with
	// the bench's temporary folder, after every row. A first cycle on a
	// real site does not follow the deletion of 10,000 files, and on ext4
	// it would pay for one (new inodes avoid those deleted in the last
	// half minute: smbd's creates slowed the second and third runs).
	aside := filepath.Join(e.dir, "set-aside")
	os.MkdirAll(aside, 0o755)
	for _, sh := range []string{"SITE", "SITE2", "SITE3", "DIST1", "DIST2", "DIST3"} {
		list, _ := os.ReadDir(srv.Dir(sh))
		if len(list) == 0 {
			continue
		}
		to, err := os.MkdirTemp(aside, sh+"-")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			if err := os.Rename(filepath.Join(srv.Dir(sh), d.Name()), filepath.Join(to, d.Name())); err != nil {
				os.RemoveAll(filepath.Join(srv.Dir(sh), d.Name()))
			}
		}
	}
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	src := dir + "-src"
	os.MkdirAll(src, 0o755)
	must(os.WriteFile(filepath.Join(src, "install.sh"), []byte("#!/bin/sh\necho installed\n"), 0o755))
	sites := []string{"S01", "S02", "S03"}
	for i, code := range sites {
		parent := ""
		if i > 0 {
			parent = "S01"
		}
		must(st.PutSite(ctx, model.Site{Code: code, Name: "Scale " + code, Parent: parent, Share: e.url(siteShare(i)), Credentials: e.cred}))
		must(st.PutServer(ctx, model.Server{Site: code, Name: "dist", URL: e.url(fmt.Sprintf("DIST%d", i+1)), Credentials: e.cred, Default: true}))
	}
	var cs []model.Computer
	for i := 0; i < scaleComputers; i++ {
		cs = append(cs, model.Computer{Name: fmt.Sprintf("PC%05d", i), Site: sites[i%3], Platform: "linux/amd64", PublicKey: benchKey(fmt.Sprintf("PC%05d", i)).Public().(ed25519.PublicKey)})
	}
	must(st.PutComputers(ctx, cs...))
	for g := 0; g < 20; g++ {
		var members []string
		for i := g * 50; i < g*50+100; i++ {
			members = append(members, fmt.Sprintf("PC%05d", i))
		}
		must(st.PutGroup(ctx, model.MachineGroup{Name: fmt.Sprintf("Group%02d", g), Members: members}))
	}
	cl := model.CommandLine{Name: "Install", Command: "sh install.sh", Platforms: []model.Platform{"linux/amd64"}, Automated: true}
	cl.ApplyDefaults()
	var pkgs []model.Package
	for p := 0; p < 10; p++ {
		pkg, err := st.CreatePackage(ctx, model.Package{Name: fmt.Sprintf("Scale %d", p), Version: "1", Source: src, Commands: []model.CommandLine{cl}})
		must(err)
		pkgs = append(pkgs, pkg)
	}
	// 100 jobs: 3 whole sites, 20 groups, 77 single computers.
	rng := rand.New(rand.NewPCG(7, 7))
	for n := 0; n < 100; n++ {
		var tg model.Target
		switch {
		case n < 3:
			tg = model.Target{Kind: model.TargetSite, Name: sites[n]}
		case n < 23:
			tg = model.Target{Kind: model.TargetGroup, Name: fmt.Sprintf("Group%02d", n-3)}
		default:
			tg = model.Target{Kind: model.TargetComputer, Name: fmt.Sprintf("PC%05d", rng.IntN(scaleComputers))}
		}
		j := model.Job{}
		j.ApplyDefaults()
		j.Package, j.Target, j.Run.Command = pkgs[n%len(pkgs)].ID, tg, "Install"
		j.Schedule.StartAfter = time.Now().Add(-time.Minute)
		j.Run.OfferAfter = j.Schedule.StartAfter
		_, err := st.CreateJob(ctx, j)
		must(err)
	}
	return st
}

// scaleComputers is how many computers the scale world has.
const scaleComputers = 10000

// scaleFirstRuns is how many fresh worlds the first cycle is timed in:
// each costs a whole world and a cycle of some 10 s.
const scaleFirstRuns = 3

func scaleOn(e *env, srv *sambatest.Server, name, label string) []row {
	t := e.t
	ctx := context.Background()
	const computers = scaleComputers
	sites := []string{"S01", "S02", "S03"}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	profile := func(part string) func() {
		dir := os.Getenv("BENCH_PROFILE_DIR")
		if dir == "" {
			return func() {}
		}
		f, err := os.Create(filepath.Join(dir, name+"-"+part+".cpu"))
		must(err)
		must(pprof.StartCPUProfile(f))
		return func() { pprof.StopCPUProfile(); f.Close() }
	}
	// The first cycle in fresh worlds, alike; the last one goes on.
	var st *badgerstore.Store
	var wd *watchdog.Service
	var firsts, cpu1, smbd1 []float64
	for k := range min(e.runs, scaleFirstRuns) {
		if st != nil {
			st.Close()
		}
		st = scaleWorld(e, srv, filepath.Join(e.dir, fmt.Sprintf("%s-%d", name, k)))
		wd = watchdog.New(st, shares.NewOpener(), watchdog.Config{})
		stop := func() {}
		if k == 0 {
			stop = profile("first")
		}
		start, c0, s0 := time.Now(), cpuTime(), smbdCPU(srv)
		must(wd.RunOnce(ctx))
		firsts = append(firsts, time.Since(start).Seconds())
		stop()
		cpu1 = append(cpu1, (cpuTime() - c0).Seconds())
		smbd1 = append(smbd1, (smbdCPU(srv) - s0).Seconds())
		fmt.Fprintf(os.Stderr, "  %-22s run %d: first cycle %.3fs (CPU: ours %.2fs, smbd %.2fs)\n", name, k+1, firsts[k], cpu1[k], smbd1[k])
	}
	defer st.Close()
	dir := filepath.Join(e.dir, fmt.Sprintf("%s-%d", name, len(firsts)-1))
	jobs, err := st.ListJobs(ctx)
	must(err)
	siteJob := map[string]string{}
	for _, j := range jobs {
		if j.Target.Kind == model.TargetSite {
			siteJob[j.Target.Name] = j.ID
		}
	}
	ins, _ := filepath.Glob(filepath.Join(srv.Dir("SITE"), protocol.InstructionsDir, "*", "*"+protocol.InstructionsExt))
	flat, _ := filepath.Glob(filepath.Join(srv.Dir("SITE"), protocol.InstructionsDir, "*"+protocol.InstructionsExt))
	ins = append(ins, flat...)
	// report makes a tenth of the computers (those with i%10 == part)
	// report their site job Complete, as their clients would.
	report := func(part int) {
		code := 0
		for i := part; i < computers; i += 10 {
			name := fmt.Sprintf("PC%05d", i)
			job := siteJob[sites[i%3]]
			b, err := protocol.EncodeStatus(benchKey(name), protocol.Status{Format: protocol.StatusFormat, Job: job, Computer: name, Generation: 1,
				State: model.TargetComplete, ExitCode: &code, Attempts: 1, Written: time.Now()})
			must(err)
			p, _ := protocol.StatusPath(name, job)
			full := filepath.Join(srv.Dir(siteShare(i%3)), filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(full), 0o755)
			must(os.WriteFile(full, b, 0o644))
		}
	}
	cycle := func() float64 {
		s := time.Now()
		must(wd.RunOnce(ctx))
		return time.Since(s).Seconds()
	}
	var results, quiet, cpu, smbd []float64
	defer profile("results")() // the quiet cycles count too: they are a tenth of it
	for i := 0; i < e.runs && i < 10; i++ {
		report(i)
		c0, s0 := cpuTime(), smbdCPU(srv)
		results = append(results, cycle())
		cpu = append(cpu, (cpuTime() - c0).Seconds())
		smbd = append(smbd, (smbdCPU(srv) - s0).Seconds())
		quiet = append(quiet, cycle())
		fmt.Fprintf(os.Stderr, "  %-22s run %d: 1,000 results %.3fs, quiet %.3fs\n", name, i+1, results[i], quiet[i])
	}
	size := dirSize(dir)
	r1 := row{Name: name + " first", OursName: "first cycle: activate 100 jobs, pack, push, offer to 10,000 computers" + label, Ours: median(firsts),
		OursRange: spread(firsts), Extra: map[string]float64{"instruction_files_S01": float64(len(ins)), "cpu_s": median(cpu1), "smbd_cpu_s": median(smbd1)}}
	r1.target("< 8 s", r1.Ours < 8)
	r2 := row{Name: name + " results", OursName: "cycle collecting 1,000 new results (complete: their offers stay in place)" + label, Ours: median(results),
		OursRange: spread(results), Extra: map[string]float64{"store_MB": float64(size) / 1e6, "cpu_s": median(cpu), "smbd_cpu_s": median(smbd)}}
	r2.target("< 2 s", r2.Ours < 2)
	r3 := row{Name: name + " quiet", OursName: "cycle with nothing new: 10,000 computers, 100 active jobs, 3 sites" + label, Ours: median(quiet), OursRange: spread(quiet)}
	r3.target("< 2 s", r3.Ours < 2)
	return []row{r1, r2, r3}
}

// siteShare names the bench's site share for the i-th site: SITE, SITE2, SITE3.
func siteShare(i int) string {
	if i == 0 {
		return "SITE"
	}
	return fmt.Sprintf("SITE%d", i+1)
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// benchKey is the key a bench computer's client signs with, the same for
// the same name.
func benchKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("opensms bench computer " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}
