package admin

import (
	"context"
	"fmt"
	"strings"

	"opensms/core/model"
	"opensms/core/query"
)

// checkQuery refuses a query group whose query does not compile (with the
// library's message and position) or that also lists members.
func checkQuery(g model.MachineGroup) error {
	if len(g.Members) > 0 {
		return invalidf("group %s: give a query or members, not both: a query group's members are the computers its query matches", g.Name)
	}
	if _, err := query.Compile(g.Query); err != nil {
		return invalidf("group %s: %s", g.Name, err)
	}
	return nil
}

// PreviewGroup implements API.
func (l *Local) PreviewGroup(ctx context.Context, q string) (_ GroupPreview, err error) {
	defer fail(&err)
	compiled, err := query.Compile(strings.TrimSpace(q))
	if err != nil {
		return GroupPreview{}, invalidf("%s", err)
	}
	cs, err := l.st.ListComputers(ctx, "")
	if err != nil {
		return GroupPreview{}, fmt.Errorf("listing computers: %w", err)
	}
	out := GroupPreview{Members: []string{}, Computers: len(cs)}
	var ev query.Evaluator
	for _, c := range cs {
		if c.AwaitingApproval {
			continue // as the watchdog: no member until approved
		}
		env := query.EnvOf(c)
		if ok, _ := ev.Match(compiled, &env); ok {
			out.Members = append(out.Members, c.Name)
		}
	}
	return out, nil
}
