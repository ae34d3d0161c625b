package watchdog

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"opensms/core/model"
)

// world is what one cycle reads from the store before it works: the
// administrator's objects as they were when the cycle began.
type world struct {
	now       time.Time
	sites     map[string]model.Site
	siteCodes []string                  // sorted
	children  map[string][]string       // site → its direct sub-sites
	servers   map[string]model.Server   // "SITE/name"
	computers map[string]model.Computer // normalised name
	bySite    map[string][]string       // site → computer names, sorted
	groups    map[string]model.MachineGroup
	packages  map[string]model.Package
	jobs      []*model.Job
	sessions  *sessionPool // the cycle's kept connections
}

// serverKey names a server across sites, as Holdings and ServerStatus do.
func serverKey(s model.Server) string { return s.Site + "/" + s.Name }

func (s *Service) load(ctx context.Context) (*world, error) {
	w := &world{
		now:       s.cfg.Now(),
		sites:     map[string]model.Site{},
		children:  map[string][]string{},
		servers:   map[string]model.Server{},
		computers: map[string]model.Computer{},
		bySite:    map[string][]string{},
		groups:    map[string]model.MachineGroup{},
		packages:  map[string]model.Package{},
	}
	sites, err := s.st.ListSites(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing sites: %w", err)
	}
	for _, x := range sites {
		w.sites[x.Code] = x
		w.siteCodes = append(w.siteCodes, x.Code)
		if x.Parent != "" {
			w.children[x.Parent] = append(w.children[x.Parent], x.Code)
		}
	}
	sort.Strings(w.siteCodes)
	servers, err := s.st.ListServers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing servers: %w", err)
	}
	for _, x := range servers {
		w.servers[serverKey(x)] = x
	}
	computers, err := s.st.ListComputers(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("listing computers: %w", err)
	}
	for _, c := range computers {
		c.Name = model.NormalizeComputerName(c.Name)
		w.computers[c.Name] = c
		w.bySite[c.Site] = append(w.bySite[c.Site], c.Name)
	}
	for _, names := range w.bySite {
		sort.Strings(names)
	}
	groups, err := s.st.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing machine groups: %w", err)
	}
	for _, g := range groups {
		w.groups[g.Name] = g
	}
	pkgs, err := s.st.ListPackages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing packages: %w", err)
	}
	for _, p := range pkgs {
		w.packages[p.ID] = p
	}
	jobs, err := s.st.ListJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	for i := range jobs {
		w.jobs = append(w.jobs, &jobs[i])
	}
	s.setSecrets(w)
	return w, nil
}

// byPriority orders jobs highest priority first, then oldest first.
func byPriority(jobs []*model.Job) {
	sort.SliceStable(jobs, func(a, b int) bool {
		ja, jb := jobs[a], jobs[b]
		if ra, rb := ja.Schedule.Priority.Rank(), jb.Schedule.Priority.Rank(); ra != rb {
			return ra < rb
		}
		if !ja.Created.Equal(jb.Created) {
			return ja.Created.Before(jb.Created)
		}
		return ja.ID < jb.ID
	})
}

// dueJobs returns the Pending, uncanceled jobs whose start time has come,
// in the order they are activated: highest priority first, then oldest.
func dueJobs(jobs []*model.Job, now time.Time) []*model.Job {
	var due []*model.Job
	for _, j := range jobs {
		st := j.Status.State
		if (st == model.JobPending || st == "") && !j.Cancel && !j.Schedule.StartAfter.After(now) {
			due = append(due, j)
		}
	}
	byPriority(due)
	return due
}

// activeJobs returns the Active and Retrying jobs, highest priority first.
func activeJobs(jobs []*model.Job) []*model.Job {
	var out []*model.Job
	for _, j := range jobs {
		if j.Status.State == model.JobActive || j.Status.State == model.JobRetrying {
			out = append(out, j)
		}
	}
	byPriority(out)
	return out
}

// siteTree returns code and, with subsites, every site below it.
func (w *world) siteTree(code string, subsites bool) []string {
	out := []string{code}
	if !subsites {
		return out
	}
	seen := map[string]bool{code: true}
	for i := 0; i < len(out); i++ {
		for _, c := range w.children[out[i]] {
			if !seen[c] { // a loop in the hierarchy must not hang the cycle
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// targetComputers resolves a job's target into the known computers it
// names, sorted. Names in a machine group that are not known computers are
// returned apart, so the job can say so.
func (w *world) targetComputers(t model.Target) (known, unknown []string) {
	seen := map[string]bool{}
	add := func(name string) {
		n := model.NormalizeComputerName(name)
		if n == "" || seen[n] {
			return
		}
		seen[n] = true
		if c, ok := w.computers[n]; ok {
			if c.AwaitingApproval {
				return // joined by itself: nothing is offered until approved
			}
			known = append(known, n)
		} else {
			unknown = append(unknown, n)
		}
	}
	switch t.Kind {
	case model.TargetSite:
		for _, code := range w.siteTree(t.Name, t.Subsites) {
			for _, n := range w.bySite[code] {
				add(n)
			}
		}
	case model.TargetGroup:
		for _, m := range w.groups[t.Name].Members {
			add(m)
		}
	case model.TargetComputer:
		add(t.Name)
	}
	sort.Strings(known)
	sort.Strings(unknown)
	return known, unknown
}

// jobSites returns the sites a job reaches: the target site (and its
// sub-sites), or the sites of the computers it names.
func (w *world) jobSites(j *model.Job) []string {
	if j.Target.Kind == model.TargetSite {
		var out []string
		for _, c := range w.siteTree(j.Target.Name, j.Target.Subsites) {
			if _, ok := w.sites[c]; ok {
				out = append(out, c)
			}
		}
		return out
	}
	seen := map[string]bool{}
	var out []string
	known, _ := w.targetComputers(j.Target)
	for _, n := range known {
		if site := w.computers[n].Site; !seen[site] {
			seen[site] = true
			out = append(out, site)
		}
	}
	sort.Strings(out)
	return out
}

// jobServers returns the distribution servers a job puts its package on:
// the members of its server group, or else the Default Servers of the sites
// it reaches. An error is a sentence for the administrator.
func (w *world) jobServers(j *model.Job) ([]model.Server, error) {
	var out []model.Server
	seen := map[string]bool{}
	add := func(s model.Server) {
		if k := serverKey(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	if g := j.Distribute.ServerGroup; g != "" {
		grp, ok := w.groups[g]
		if !ok {
			return nil, fmt.Errorf("server group %q does not exist", g)
		}
		for _, m := range grp.Members {
			found := false
			if site, name, ok := strings.Cut(m, "/"); ok {
				if s, ok := w.servers[strings.ToUpper(site)+"/"+name]; ok {
					add(s)
					found = true
				}
			} else {
				for _, s := range w.sortedServers() {
					if strings.EqualFold(s.Name, m) {
						add(s)
						found = true
					}
				}
			}
			if !found {
				return nil, fmt.Errorf("server group %q names %q, which is not a distribution server", g, m)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("server group %q has no members", g)
		}
		return out, nil
	}
	sites := w.jobSites(j)
	for _, s := range w.sortedServers() {
		for _, code := range sites {
			if s.Site == code && s.Default {
				add(s)
			}
		}
	}
	if len(out) == 0 {
		if len(sites) == 0 {
			return nil, fmt.Errorf("%s reaches no site with computers yet, so there is no Default Server to use", targetString(j.Target))
		}
		return nil, fmt.Errorf("site %s has no Default Servers: mark one as default or name a server group", strings.Join(sites, ", "))
	}
	return out, nil
}

func (w *world) sortedServers() []model.Server {
	keys := make([]string, 0, len(w.servers))
	for k := range w.servers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]model.Server, len(keys))
	for i, k := range keys {
		out[i] = w.servers[k]
	}
	return out
}

func targetString(t model.Target) string {
	s := string(t.Kind) + ":" + t.Name
	if t.Subsites {
		s += " (with sub-sites)"
	}
	return s
}

// repeatStep moves t one repeat interval on.
func repeatStep(r model.Repeat, t time.Time) time.Time {
	switch r {
	case model.RepeatDaily:
		return t.AddDate(0, 0, 1)
	case model.RepeatWeekly:
		return t.AddDate(0, 0, 7)
	case model.RepeatBiweekly:
		return t.AddDate(0, 0, 14)
	case model.RepeatMonthly:
		return t.AddDate(0, 1, 0)
	}
	return t
}

// nextRepeat returns the job that repeats j: the same job, Pending, its
// start time moved on by the repeat interval (as many intervals as it takes
// to pass now, so a long outage does not make a burst of catch-up jobs) and
// its run times moved by the same amount. ok is false when j does not
// repeat.
func nextRepeat(j model.Job, now time.Time) (next model.Job, ok bool) {
	r := j.Schedule.Repeat
	if r == "" || r == model.RepeatNever {
		return model.Job{}, false
	}
	base := j.Schedule.StartAfter
	if base.IsZero() {
		base = j.Created
	}
	start := repeatStep(r, base)
	for !start.After(now) {
		start = repeatStep(r, start)
	}
	shift := start.Sub(base)
	move := func(t time.Time) time.Time {
		if t.IsZero() {
			return t
		}
		return t.Add(shift)
	}
	next = j
	next.ID = ""
	next.RepeatOf = j.ID
	next.Cancel = false
	next.Created = now
	next.Schedule.StartAfter = start
	next.Run.OfferAfter = move(j.Run.OfferAfter)
	next.Run.MandatoryAfter = move(j.Run.MandatoryAfter)
	next.Run.ExpiresAfter = move(j.Run.ExpiresAfter)
	next.Status = model.JobStatus{State: model.JobPending}
	return next, true
}

// tally counts a job's targets into the status's Targets* fields and
// reports whether any count changed.
func tally(st *model.JobStatus, ts map[string]*model.TargetStatus) (changed bool) {
	was := *st
	st.TargetsTotal, st.TargetsDone, st.TargetsFailed = 0, 0, 0
	st.TargetsSucceeded, st.TargetsInstalled, st.TargetsNotApplicable = 0, 0, 0
	for _, t := range ts {
		st.TargetsTotal++
		if t.State.Final() {
			st.TargetsDone++
		}
		switch {
		case t.State == model.TargetFailed:
			st.TargetsFailed++
		case t.State == model.TargetNotApplicable:
			st.TargetsNotApplicable++
		case t.State == model.TargetComplete && t.AlreadyInstalled:
			st.TargetsInstalled++
		case t.State == model.TargetComplete:
			st.TargetsSucceeded++
		}
	}
	return was.TargetsTotal != st.TargetsTotal || was.TargetsDone != st.TargetsDone || was.TargetsFailed != st.TargetsFailed ||
		was.TargetsSucceeded != st.TargetsSucceeded || was.TargetsInstalled != st.TargetsInstalled || was.TargetsNotApplicable != st.TargetsNotApplicable
}

// expired reports whether the job's run phase has expired.
func expired(j *model.Job, now time.Time) bool {
	return !j.Run.ExpiresAfter.IsZero() && now.After(j.Run.ExpiresAfter)
}
