package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"opensms/core/model"
)

// ListJobs implements API.
func (l *Local) ListJobs(ctx context.Context) (_ []model.Job, err error) {
	defer fail(&err)
	jobs, err := l.st.ListJobs(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	sort.SliceStable(jobs, func(a, b int) bool {
		if !jobs[a].Created.Equal(jobs[b].Created) {
			return jobs[a].Created.After(jobs[b].Created)
		}
		return jobs[a].ID > jobs[b].ID
	})
	return nonNil(jobs), nil
}

// GetJob implements API.
func (l *Local) GetJob(ctx context.Context, id string) (_ JobStatus, err error) {
	defer fail(&err)
	id = strings.ToUpper(strings.TrimSpace(id))
	j, err := l.st.GetJob(ctx, id)
	if err != nil {
		return JobStatus{}, mustExist("job "+id, err)
	}
	ts, err := l.st.ListTargetStatuses(ctx, j.ID)
	if err != nil {
		return JobStatus{}, fmt.Errorf("reading the computers of job %s: %w", j.ID, err)
	}
	sort.Slice(ts, func(a, b int) bool { return ts[a].Computer < ts[b].Computer })
	return JobStatus{Job: j, Computers: nonNil(ts)}, nil
}

// pickCommand returns the named command line, or the package's only one.
func pickCommand(p model.Package, name string) (string, error) {
	names := make([]string, len(p.Commands))
	for i, c := range p.Commands {
		names[i] = strconv.Quote(c.Name)
	}
	if name == "" {
		switch len(p.Commands) {
		case 0:
			return "", invalidf("package %s has no command line to run: add one to it first", p.ID)
		case 1:
			return p.Commands[0].Name, nil
		}
		return "", invalidf("package %s has %d command lines (%s): name the one to run", p.ID, len(p.Commands), strings.Join(names, ", "))
	}
	if _, ok := p.Command(name); !ok {
		have := strings.Join(names, ", ")
		if have == "" {
			have = "none"
		}
		return "", invalidf("package %s has no command line %q; it has %s", p.ID, name, have)
	}
	return name, nil
}

// checkJob checks j against what the store holds: its package and command
// line, its target and its server group. It returns the package.
func (l *Local) checkJob(ctx context.Context, j *model.Job) error {
	j.Package = strings.ToUpper(strings.TrimSpace(j.Package))
	p, err := l.st.GetPackage(ctx, j.Package)
	if err != nil {
		return mustExist("package "+j.Package, err)
	}
	if j.Type == model.JobRun {
		if j.Run.Command, err = pickCommand(p, j.Run.Command); err != nil {
			return err
		}
	}
	if err := j.Validate(); err != nil {
		return err
	}
	if err := l.targetExists(ctx, j.Target); err != nil {
		return err
	}
	if g := j.Distribute.ServerGroup; g != "" {
		return mustExist("server group "+g, getErr(l.st.GetGroup(ctx, g)))
	}
	return nil
}

// targetExists checks that the site, group or computer is known.
func (l *Local) targetExists(ctx context.Context, t model.Target) error {
	switch t.Kind {
	case model.TargetSite:
		return l.requireSite(ctx, t.Name)
	case model.TargetGroup:
		return mustExist("machine group "+t.Name, getErr(l.st.GetGroup(ctx, t.Name)))
	case model.TargetComputer:
		return mustExist("computer "+t.Name, getErr(l.st.GetComputer(ctx, t.Name)))
	}
	return invalidf("target kind %q is not site, group or computer", t.Kind)
}

// AddJob implements API.
func (l *Local) AddJob(ctx context.Context, j model.Job) (_ JobCreated, err error) {
	defer fail(&err)
	j.ID, j.Status = "", model.JobStatus{}
	j.ApplyDefaults()
	t := now()
	j.Created = t
	if j.Schedule.StartAfter.IsZero() {
		j.Schedule.StartAfter = t
	}
	if err := l.checkJob(ctx, &j); err != nil {
		return JobCreated{}, err
	}
	warnings, err := l.warnings(ctx, j)
	if err != nil {
		return JobCreated{}, err
	}
	created, err := l.st.CreateJob(ctx, j)
	if err != nil {
		return JobCreated{}, fmt.Errorf("adding the job: %w", err)
	}
	l.wd.Wake()
	return JobCreated{Job: created, Warnings: warnings}, nil
}

// warnings says what a job will leave out: members of a target group that
// are not computers, a target with no computer yet, and target computers
// that cannot run the job's command line.
func (l *Local) warnings(ctx context.Context, j model.Job) ([]string, error) {
	var out []string
	var comps []model.Computer
	switch t := j.Target; t.Kind {
	case model.TargetComputer:
		c, err := l.st.GetComputer(ctx, t.Name)
		if err != nil {
			return nil, fmt.Errorf("looking up computer %s: %w", t.Name, err)
		}
		comps = append(comps, c)
	case model.TargetSite:
		codes := []string{t.Name}
		if t.Subsites {
			sites, err := l.st.ListSites(ctx)
			if err != nil {
				return nil, fmt.Errorf("listing sites: %w", err)
			}
			for i := 0; i < len(codes); i++ {
				for _, s := range sites {
					if s.Parent == codes[i] && !slices.Contains(codes, s.Code) {
						codes = append(codes, s.Code)
					}
				}
			}
		}
		for _, c := range codes {
			cs, err := l.st.ListComputers(ctx, c)
			if err != nil {
				return nil, fmt.Errorf("listing the computers of site %s: %w", c, err)
			}
			comps = append(comps, cs...)
		}
	case model.TargetGroup:
		g, err := l.st.GetGroup(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		for _, m := range g.Members {
			c, err := l.st.GetComputer(ctx, m)
			switch {
			case errors.Is(err, model.ErrNotFound):
				out = append(out, fmt.Sprintf("%s in machine group %s is not a computer: the job leaves it out", m, g.Name))
			case err != nil:
				return nil, fmt.Errorf("looking up computer %s: %w", m, err)
			default:
				comps = append(comps, c)
			}
		}
	}
	if len(comps) == 0 {
		out = append(out, fmt.Sprintf("%s has no computers yet: the job reaches those that join while it lasts", j.Target.Title()))
	}
	if j.Type != model.JobRun || len(comps) == 0 {
		return out, nil
	}
	p, err := l.st.GetPackage(ctx, j.Package)
	if err != nil {
		return nil, fmt.Errorf("reading package %s: %w", j.Package, err)
	}
	if c, ok := p.Command(j.Run.Command); ok {
		if w := notApplicable(c, comps); w != "" {
			out = append(out, w)
		}
	}
	return out, nil
}

// notApplicable says how many of comps cannot run command line c, and
// why: their platforms, a few names of each. "" when all can (a computer
// whose platform is not known yet counts as able: its client decides).
func notApplicable(c model.CommandLine, comps []model.Computer) string {
	byPlatform := map[model.Platform][]string{}
	n := 0
	for _, k := range comps {
		if k.Platform != "" && !c.RunsOn(k.Platform) {
			byPlatform[k.Platform] = append(byPlatform[k.Platform], k.Name)
			n++
		}
	}
	if n == 0 {
		return ""
	}
	platforms := slices.Sorted(maps.Keys(byPlatform))
	parts := make([]string, len(platforms))
	for i, p := range platforms {
		names := byPlatform[p]
		slices.Sort(names)
		shown := strings.Join(names[:min(len(names), 3)], ", ")
		if len(names) > 3 {
			shown += ", …"
		}
		verb := "is"
		if len(names) > 1 {
			verb = "are"
		}
		parts[i] = fmt.Sprintf("%d %s %s (%s)", len(names), verb, p, shown)
	}
	total, they := "1 target computer", "they"
	if len(comps) > 1 {
		total = fmt.Sprintf("%d target computers", len(comps))
	}
	if n == 1 {
		they = "it"
	}
	return fmt.Sprintf("%d of %s cannot run command line %q, which runs on %s: %s; %s will not be offered the job and will read not applicable",
		n, total, c.Name, c.PlatformText(), strings.Join(parts, ", "), they)
}

// UpdateJob implements API. The watchdog makes the final check that the
// job is still Pending in the same step as the write.
func (l *Local) UpdateJob(ctx context.Context, j model.Job) (_ model.Job, err error) {
	defer fail(&err)
	j.ID = strings.ToUpper(strings.TrimSpace(j.ID))
	cur, err := l.st.GetJob(ctx, j.ID)
	if err != nil {
		return j, mustExist("job "+j.ID, err)
	}
	if s := cur.Status.State; s != model.JobPending && s != "" {
		return j, &Error{Kind: KindInUse, Sentence: fmt.Sprintf("job %s is %s now and can no longer be changed", j.ID, s)}
	}
	j.Status = cur.Status
	if err := l.checkJob(ctx, &j); err != nil {
		return j, err
	}
	return l.wd.ChangePendingJob(ctx, j)
}

// CancelJob implements API.
func (l *Local) CancelJob(ctx context.Context, id string) (err error) {
	defer fail(&err)
	id = strings.ToUpper(strings.TrimSpace(id))
	return mustExist("job "+id, l.wd.CancelJob(ctx, id))
}

// DeleteJob implements API.
func (l *Local) DeleteJob(ctx context.Context, id string) (err error) {
	defer fail(&err)
	id = strings.ToUpper(strings.TrimSpace(id))
	return mustExist("job "+id, l.wd.DeleteJob(ctx, id))
}
