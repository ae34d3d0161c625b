package admin

import (
	"context"
	"runtime"
	"testing"
	"time"

	"opensms/core/model"
)

func TestEventsWindowFiltersByJobComputerAndSeverity(t *testing.T) {
	a, st := newTestAdmin(t)
	ctx := context.Background()
	for _, e := range []model.Event{
		{Severity: model.SevInfo, Job: "S0100001", Computer: "PC001", Message: "PC001 ran S0100001"},
		{Severity: model.SevError, Job: "S0100001", Computer: "PC002", Message: "PC002 failed S0100001"},
		{Severity: model.SevInfo, Job: "S0100002", Message: "job S0100002 activated"},
	} {
		_, err := st.AppendEvent(ctx, e)
		must(t, err)
	}
	a.locked(a.events.reload)
	waitFor(t, a, "the events", func() bool { return len(a.events.events) >= 3 })
	check := func(job, computer, severity string, want int) {
		t.Helper()
		a.locked(func() {
			a.events.job.SetText(job)
			a.events.computer.SetText(computer)
			a.events.severity.SetSelected(severity) // filters at once
			a.events.onFilter()
		})
		waitFor(t, a, "filtered events", func() bool { return len(a.events.events) == want })
	}
	check("S0100001", "", "All", 2)
	check("", "pc002", "All", 1)
	check("", "", "Error", 1)
	check("S0100002", "", "Info", 1)
}

func TestClosingWindowsEndsTheirGoroutines(t *testing.T) {
	a, _ := newTestAdmin(t)
	cycle := func() {
		for _, title := range windowOrder {
			a.locked(func() { a.closeWindow(a.find(title)) })
			a.locked(func() { a.show(title) })
		}
	}
	cycle()
	time.Sleep(300 * time.Millisecond)
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		cycle()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		t.Errorf("%d goroutines after reopening every window 5 times, %d before", n, before)
	}
}
