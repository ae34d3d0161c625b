package bench

import (
	"context"
	"path/filepath"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/storage/adminapi"
	"opensms/storage/localapi"
)

// attachRows: what a console pays for attaching to the site service rather
// than holding the store itself, per call: job list with 1,000 jobs, and a
// trivial call (the watchdog's state). The service is served from this
// process on a real socket, so the difference is the socket, HTTP and JSON.
func attachRows(e *env) []row {
	t := e.t
	ctx := context.Background()
	w := newWorld(e, "attach")
	for i := 0; i < 1000; i++ {
		w.job(model.Target{Kind: model.TargetComputer, Name: benchComputer}, model.SendIfNotSent, false)
	}
	local := admin.New(w.st, w.wd, nil)
	data := filepath.Join(e.dir, "attach")
	l, err := localapi.Listen(adminapi.Address(data), localapi.ListenConfig{Service: adminapi.Service})
	if err != nil {
		t.Fatal(err)
	}
	srv := localapi.Start(l, localapi.ServerConfig{Service: adminapi.Service, Version: "bench", Handler: adminapi.Handler(local)})
	defer srv.Stop()
	client, err := adminapi.Attach(ctx, data, "bench")
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()

	// Each sample is the mean of calls calls, reported per call.
	perCall := func(calls int, f func() error) sample {
		start := time.Now()
		for i := 0; i < calls; i++ {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		return sample{d: time.Since(start) / time.Duration(calls)}
	}
	list := func(api admin.API) func() sample {
		return func() sample {
			return perCall(5, func() error {
				jobs, err := api.ListJobs(ctx)
				if err == nil && len(jobs) != 1000 {
					t.Fatalf("job list gave %d jobs, want 1000", len(jobs))
				}
				return err
			})
		}
	}
	trivial := func(api admin.API) func() sample {
		return func() sample {
			return perCall(200, func() error { _, err := api.Watchdog(ctx); return err })
		}
	}
	rows := []row{
		pair(t, e.runs, "job list 1,000 jobs", "attached", "embedded", list(client), list(local)),
		pair(t, e.runs, "trivial API call", "attached", "embedded", trivial(client), trivial(local)),
	}
	for i := range rows {
		extra := rows[i].Ours - rows[i].Theirs
		rows[i].target("attached < 20 ms more per call", extra < 0.020)
		us := func(sec float64) string {
			d := time.Duration(sec * float64(time.Second))
			if d < time.Millisecond {
				return d.Round(10 * time.Nanosecond).String()
			}
			return d.Round(time.Microsecond).String()
		}
		rows[i].Note = "per call: attached " + us(rows[i].Ours) + ", embedded " + us(rows[i].Theirs) + ", " + us(extra) + " more"
	}
	return rows
}
