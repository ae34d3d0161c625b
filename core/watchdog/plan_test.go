package watchdog

import (
	"slices"
	"strings"
	"testing"
	"time"

	"opensms/core/model"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testWorld() *world {
	w := &world{
		now:       t0,
		sites:     map[string]model.Site{},
		children:  map[string][]string{},
		servers:   map[string]model.Server{},
		computers: map[string]model.Computer{},
		bySite:    map[string][]string{},
		groups:    map[string]model.MachineGroup{},
		packages:  map[string]model.Package{},
	}
	for _, s := range []model.Site{{Code: "S01"}, {Code: "S02", Parent: "S01"}, {Code: "S03", Parent: "S02"}, {Code: "S09"}} {
		w.sites[s.Code] = s
		w.siteCodes = append(w.siteCodes, s.Code)
		if s.Parent != "" {
			w.children[s.Parent] = append(w.children[s.Parent], s.Code)
		}
	}
	for _, c := range []model.Computer{{Name: "PC1", Site: "S01"}, {Name: "PC2", Site: "S01"}, {Name: "PC3", Site: "S02"}, {Name: "PC4", Site: "S03"}} {
		w.computers[c.Name] = c
		w.bySite[c.Site] = append(w.bySite[c.Site], c.Name)
	}
	for _, s := range []model.Server{
		{Site: "S01", Name: "dist1", Default: true}, {Site: "S01", Name: "dist2"},
		{Site: "S02", Name: "dist1", Default: true}, {Site: "S03", Name: "far"},
	} {
		w.servers[serverKey(s)] = s
	}
	w.groups["Accounting"] = model.MachineGroup{Name: "Accounting", Members: []string{"pc2", "PC4", "ghost"}}
	w.groups["Pushers"] = model.MachineGroup{Name: "Pushers", Members: []string{"S03/far", "dist2"}}
	w.groups["Bad"] = model.MachineGroup{Name: "Bad", Members: []string{"nowhere"}}
	return w
}

func TestTargetComputers(t *testing.T) {
	w := testWorld()
	cases := []struct {
		target           model.Target
		known, unknownTo []string
	}{
		{model.Target{Kind: model.TargetSite, Name: "S01"}, []string{"PC1", "PC2"}, nil},
		{model.Target{Kind: model.TargetSite, Name: "S01", Subsites: true}, []string{"PC1", "PC2", "PC3", "PC4"}, nil},
		{model.Target{Kind: model.TargetSite, Name: "S02", Subsites: true}, []string{"PC3", "PC4"}, nil},
		{model.Target{Kind: model.TargetSite, Name: "S09"}, nil, nil},
		{model.Target{Kind: model.TargetGroup, Name: "Accounting"}, []string{"PC2", "PC4"}, []string{"GHOST"}},
		{model.Target{Kind: model.TargetGroup, Name: "Nobody"}, nil, nil},
		{model.Target{Kind: model.TargetComputer, Name: "pc3"}, []string{"PC3"}, nil},
		{model.Target{Kind: model.TargetComputer, Name: "PC99"}, nil, []string{"PC99"}},
	}
	for _, c := range cases {
		known, unknown := w.targetComputers(c.target)
		if !slices.Equal(known, c.known) || !slices.Equal(unknown, c.unknownTo) {
			t.Errorf("%s: got %v / %v, want %v / %v", targetString(c.target), known, unknown, c.known, c.unknownTo)
		}
	}
}

func TestSiteTreeSurvivesALoop(t *testing.T) {
	w := testWorld()
	w.children["S03"] = append(w.children["S03"], "S01") // a bad hierarchy
	if got := w.siteTree("S01", true); !slices.Equal(got, []string{"S01", "S02", "S03"}) {
		t.Errorf("siteTree = %v", got)
	}
}

func TestJobServers(t *testing.T) {
	w := testWorld()
	cases := []struct {
		job  model.Job
		want []string
		err  string
	}{
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S01"}}, want: []string{"S01/dist1"}},
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S01", Subsites: true}}, want: []string{"S01/dist1", "S02/dist1"}},
		{job: model.Job{Target: model.Target{Kind: model.TargetGroup, Name: "Accounting"}}, want: []string{"S01/dist1"}, err: ""},
		{job: model.Job{Target: model.Target{Kind: model.TargetComputer, Name: "PC4"}}, err: "site S03 has no Default Servers"},
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S09"}}, err: "site S09 has no Default Servers"},
		{job: model.Job{Target: model.Target{Kind: model.TargetComputer, Name: "PC99"}}, err: "reaches no site"},
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S01"}, Distribute: model.Distribute{ServerGroup: "Pushers"}}, want: []string{"S03/far", "S01/dist2"}},
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S01"}, Distribute: model.Distribute{ServerGroup: "Bad"}}, err: `names "nowhere", which is not a distribution server`},
		{job: model.Job{Target: model.Target{Kind: model.TargetSite, Name: "S01"}, Distribute: model.Distribute{ServerGroup: "Missing"}}, err: `server group "Missing" does not exist`},
	}
	for _, c := range cases {
		got, err := w.jobServers(&c.job)
		var names []string
		for _, s := range got {
			names = append(names, serverKey(s))
		}
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", targetString(c.job.Target), err, c.err)
			}
			continue
		}
		if err != nil || !slices.Equal(names, c.want) {
			t.Errorf("%s: got %v, %v; want %v", targetString(c.job.Target), names, err, c.want)
		}
	}
}

func TestDueJobsOrder(t *testing.T) {
	mk := func(id string, p model.Priority, created, start time.Time, st model.JobState, cancel bool) *model.Job {
		return &model.Job{ID: id, Created: created, Cancel: cancel, Schedule: model.Schedule{Priority: p, StartAfter: start}, Status: model.JobStatus{State: st}}
	}
	jobs := []*model.Job{
		mk("LOWOLD", model.PriorityLow, t0.Add(-3*time.Hour), t0.Add(-time.Hour), model.JobPending, false),
		mk("MEDNEW", model.PriorityMedium, t0.Add(-1*time.Hour), t0, model.JobPending, false),
		mk("HIGHNEW", model.PriorityHigh, t0.Add(-1*time.Hour), t0.Add(-time.Minute), model.JobPending, false),
		mk("MEDOLD", model.PriorityMedium, t0.Add(-2*time.Hour), t0.Add(-time.Minute), "", false),
		mk("FUTURE", model.PriorityHigh, t0.Add(-5*time.Hour), t0.Add(time.Second), model.JobPending, false),
		mk("CANCELED", model.PriorityHigh, t0.Add(-5*time.Hour), t0, model.JobPending, true),
		mk("ACTIVE", model.PriorityHigh, t0.Add(-5*time.Hour), t0, model.JobActive, false),
	}
	var got []string
	for _, j := range dueJobs(jobs, t0) {
		got = append(got, j.ID)
	}
	if want := []string{"HIGHNEW", "MEDOLD", "MEDNEW", "LOWOLD"}; !slices.Equal(got, want) {
		t.Errorf("dueJobs = %v, want %v", got, want)
	}
}

func TestNextRepeat(t *testing.T) {
	base := model.Job{
		ID: "S0100007", Type: model.JobRun, Package: "S0100001",
		Schedule: model.Schedule{StartAfter: t0, Repeat: model.RepeatWeekly, Priority: model.PriorityHigh},
		Run:      model.RunPhase{Command: "Install", OfferAfter: t0.Add(time.Hour), ExpiresAfter: t0.Add(48 * time.Hour)},
		Status:   model.JobStatus{State: model.JobComplete, Archive: "abc"},
		Cancel:   true,
	}
	cases := []struct {
		repeat model.Repeat
		now    time.Time
		start  time.Time
	}{
		{model.RepeatDaily, t0.Add(time.Hour), t0.AddDate(0, 0, 1)},
		{model.RepeatWeekly, t0.Add(time.Hour), t0.AddDate(0, 0, 7)},
		{model.RepeatBiweekly, t0.Add(time.Hour), t0.AddDate(0, 0, 14)},
		{model.RepeatMonthly, t0.Add(time.Hour), t0.AddDate(0, 1, 0)},
		// A long outage: the next one is the first in the future, not a burst.
		{model.RepeatDaily, t0.AddDate(0, 0, 5).Add(time.Hour), t0.AddDate(0, 0, 6)},
	}
	for _, c := range cases {
		j := base
		j.Schedule.Repeat = c.repeat
		next, ok := nextRepeat(j, c.now)
		if !ok {
			t.Fatalf("%s: no repeat", c.repeat)
		}
		if !next.Schedule.StartAfter.Equal(c.start) {
			t.Errorf("%s: start %v, want %v", c.repeat, next.Schedule.StartAfter, c.start)
		}
		shift := c.start.Sub(t0)
		if !next.Run.OfferAfter.Equal(t0.Add(time.Hour).Add(shift)) || !next.Run.ExpiresAfter.Equal(t0.Add(48*time.Hour).Add(shift)) || !next.Run.MandatoryAfter.IsZero() {
			t.Errorf("%s: run times not moved with the start: %+v", c.repeat, next.Run)
		}
		if next.ID != "" || next.RepeatOf != "S0100007" || next.Cancel || next.Status.State != model.JobPending || next.Status.Archive != "" || !next.Created.Equal(c.now) {
			t.Errorf("%s: successor %+v", c.repeat, next)
		}
	}
	for _, r := range []model.Repeat{model.RepeatNever, ""} {
		j := base
		j.Schedule.Repeat = r
		if _, ok := nextRepeat(j, t0); ok {
			t.Errorf("repeat %q made a successor", r)
		}
	}
}

func TestTallyAndExpiry(t *testing.T) {
	ts := map[string]*model.TargetStatus{
		"A": {State: model.TargetComplete}, "B": {State: model.TargetFailed}, "C": {State: model.TargetOffered}, "D": {State: model.TargetRetrying},
		"E": {State: model.TargetComplete, AlreadyInstalled: true}, "F": {State: model.TargetNotApplicable},
	}
	var st model.JobStatus
	if !tally(&st, ts) || st.TargetsTotal != 6 || st.TargetsDone != 4 || st.TargetsFailed != 1 || st.TargetsSucceeded != 1 || st.TargetsInstalled != 1 || st.TargetsNotApplicable != 1 {
		t.Errorf("tally = %+v", st)
	}
	if tally(&st, ts) {
		t.Error("the same computers counted as a change")
	}
	j := &model.Job{}
	if expired(j, t0) {
		t.Error("a job without an expiry expired")
	}
	j.Run.ExpiresAfter = t0
	if expired(j, t0) || !expired(j, t0.Add(time.Nanosecond)) {
		t.Error("expiry is not strictly after ExpiresAfter")
	}
}
