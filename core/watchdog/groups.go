package watchdog

import (
	"context"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"opensms/core/model"
	"opensms/core/query"
)

// groupState is what the watchdog remembers between cycles about query
// groups, so that a cycle evaluates only what changed: a group whose query
// is new or changed is evaluated on every computer, the others only on the
// computers whose inventory changed (or that appeared or went).
type groupState struct {
	queries map[string]*query.Query // compiled, by query text
	bad     map[string]error        // queries that do not compile, by text
	done    map[string]string       // group → the query last evaluated for it
	seen    map[string]string       // computer → seenKey when last evaluated
}

func (g *groupState) compile(src string) (*query.Query, error) {
	if g.queries == nil {
		g.queries, g.bad = map[string]*query.Query{}, map[string]error{}
	}
	if q, ok := g.queries[src]; ok {
		return q, nil
	}
	if err, ok := g.bad[src]; ok {
		return nil, err
	}
	q, err := query.Compile(src)
	if err != nil {
		g.bad[src] = err
		return nil, err
	}
	g.queries[src] = q
	return q, nil
}

// evaluateGroups brings every query group's members up to the computers'
// inventory as it stands after collect, stores the groups whose members
// changed, and returns their names. A computer awaiting approval matches
// nothing until the administrator approves it.
func (s *Service) evaluateGroups(ctx context.Context, w *world) map[string]bool {
	gs := &s.cs.groups
	if !slices.ContainsFunc(slices.Collect(maps.Values(w.groups)), func(g model.MachineGroup) bool { return g.Query != "" }) {
		// No query group: nothing to remember either (a new one is
		// evaluated on every computer).
		gs.done, gs.seen = nil, nil
		return nil
	}
	if gs.done == nil {
		gs.done, gs.seen = map[string]string{}, map[string]string{}
	}
	names := slices.Sorted(maps.Keys(w.computers))
	var changed []string // computers whose inventory changed, appeared or went
	for _, c := range names {
		if k, ok := gs.seen[c]; !ok || k != seenKey(w.computers[c]) {
			changed = append(changed, c)
		}
	}
	for c := range gs.seen {
		if _, ok := w.computers[c]; !ok {
			changed = append(changed, c)
		}
	}
	// Every query runs in one pass over the computers (query.MatchEach):
	// a group whose query is new or changed on every computer, the others
	// only on the computers that changed.
	type pending struct {
		name string
		g    model.MachineGroup
		q    *query.Query
		all  bool
	}
	var todo []pending
	for _, name := range slices.Sorted(maps.Keys(w.groups)) {
		g := w.groups[name]
		if g.Query == "" {
			continue
		}
		q, err := gs.compile(g.Query)
		if err != nil {
			s.eventOnce(ctx, "group/"+name, model.Event{Severity: model.SevError,
				Message: fmt.Sprintf("machine group %s: %s; it keeps its members", name, err)})
			continue
		}
		todo = append(todo, pending{name: name, g: g, q: q, all: gs.done[name] != g.Query})
	}
	isChanged := map[string]bool{}
	for _, c := range changed {
		isChanged[c] = true
	}
	check := changed
	if slices.ContainsFunc(todo, func(p pending) bool { return p.all }) {
		check = names
	}
	var envList []*query.Env
	var envNames []string
	var envChanged []bool
	for _, c := range check {
		if cm, ok := w.computers[c]; ok && !cm.AwaitingApproval {
			e := query.EnvOf(cm)
			envList, envNames, envChanged = append(envList, &e), append(envNames, c), append(envChanged, isChanged[c])
		}
	}
	qs := make([]*query.Query, len(todo))
	for i, p := range todo {
		qs[i] = p.q
	}
	matched, runErrs := query.MatchEach(qs, envList, func(i, j int) bool { return todo[i].all || envChanged[j] }, runtime.NumCPU())
	out := map[string]bool{}
	for i, p := range todo {
		g, name, runErr := p.g, p.name, runErrs[i]
		members := map[string]bool{}
		for _, m := range g.Members {
			members[model.NormalizeComputerName(m)] = true
		}
		// The computers evaluated again leave unless they match.
		drop := changed
		if p.all {
			drop = names
		}
		for _, c := range drop {
			delete(members, c)
		}
		for j, ok := range matched[i] {
			if ok {
				members[envNames[j]] = true
			}
		}
		if runErr != nil {
			s.eventOnce(ctx, "groupRun/"+name, model.Event{Severity: model.SevWarning,
				Message: fmt.Sprintf("machine group %s: %s; the computers where it failed are not members", name, s.sentence(runErr))})
		} else {
			s.clearOnce("groupRun/" + name)
		}
		s.clearOnce("group/" + name)
		gs.done[name] = g.Query
		now := slices.Sorted(maps.Keys(members))
		if slices.Equal(now, g.Members) {
			continue
		}
		joined, left := s.setMembers(&g, now, w.now)
		if err := s.storeGroup(ctx, g); err != nil {
			s.log.Error("storing a query group's members", "group", name, "err", err)
			delete(gs.done, name) // evaluate it whole again next cycle
			continue
		}
		w.groups[name] = g
		out[name] = true
		var what []string
		if len(joined) > 0 {
			what = append(what, listOf(joined)+" joined")
		}
		if len(left) > 0 {
			what = append(what, listOf(left)+" left")
		}
		if len(what) > 0 {
			s.event(ctx, model.Event{Severity: model.SevInfo,
				Message: fmt.Sprintf("machine group %s: %s (%s now)", name, strings.Join(what, ", "), count(len(now), "member"))})
		}
	}
	for c := range gs.seen {
		if _, ok := w.computers[c]; !ok {
			delete(gs.seen, c)
		}
	}
	for _, c := range changed {
		if cm, ok := w.computers[c]; ok {
			gs.seen[c] = seenKey(cm)
		}
	}
	for name := range gs.done {
		if _, ok := w.groups[name]; !ok {
			delete(gs.done, name)
		}
	}
	return out
}

// seenKey changes when what a query sees of a computer may have changed:
// a new inventory, an approval, a move to another site or platform.
func seenKey(c model.Computer) string {
	return fmt.Sprint(c.LastSeen.UnixNano(), c.AwaitingApproval, c.Site, c.Platform)
}

// setMembers replaces g's members with now (sorted), stamping when each
// new one joined; it returns who joined and who left.
func (s *Service) setMembers(g *model.MachineGroup, now []string, at time.Time) (joined, left []string) {
	old := map[string]bool{}
	for _, m := range g.Members {
		old[model.NormalizeComputerName(m)] = true
	}
	next := map[string]time.Time{}
	for _, m := range now {
		if t, ok := g.Joined[m]; ok && old[m] {
			next[m] = t
			continue
		}
		next[m] = at
		if !old[m] {
			joined = append(joined, m)
		}
	}
	for m := range old {
		if _, ok := next[m]; !ok {
			left = append(left, m)
		}
	}
	sort.Strings(left)
	g.Members, g.Joined = now, next
	return joined, left
}

// storeGroup writes a query group's new members unless the administrator
// changed its query meanwhile (the next cycle evaluates the new one).
func (s *Service) storeGroup(ctx context.Context, g model.MachineGroup) error {
	cur, err := s.st.GetGroup(ctx, g.Name)
	if err != nil {
		return err
	}
	if cur.Query != g.Query {
		return fmt.Errorf("its query changed during the cycle")
	}
	if err := s.st.PutGroup(ctx, g); err != nil {
		return err
	}
	// Open windows show the new members as they show an administrator's
	// change.
	s.publish(Update{Kind: UpdateGroup, Record: &Record{ID: g.Name}})
	return nil
}

// listOf says a short list of computers: "PC001, PC002", or the first ten
// and how many more.
func listOf(names []string) string {
	if len(names) > 10 {
		return fmt.Sprintf("%s and %d more", strings.Join(names[:10], ", "), len(names)-10)
	}
	return strings.Join(names, ", ")
}

// followGroups adds to the active jobs aimed at a query group whose
// members changed this cycle the computers that joined it, so that they
// are offered the job in this same cycle.
func (s *Service) followGroups(ctx context.Context, w *world, runs []*runJob, changed map[string]bool) {
	if len(changed) == 0 {
		return
	}
	for _, rj := range runs {
		t := rj.job.Target
		if t.Kind == model.TargetGroup && changed[t.Name] && !rj.job.Status.State.Final() {
			s.addTargets(ctx, w, rj)
		}
	}
}
