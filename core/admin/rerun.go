package admin

import (
	"context"
	"strings"

	"opensms/core/watchdog"
)

// RerunRequest asks for a Run Command job to run again: on its failed
// computers (Scope "failed", the default), on every computer that finished
// it ("all"), or on one ("computer", naming Computer). By is who asked,
// for the event log.
type RerunRequest struct {
	Job      string              `json:"job"`
	Scope    watchdog.RerunScope `json:"scope,omitempty"`
	Computer string              `json:"computer,omitempty"`
	By       string              `json:"by,omitempty"`
}

// Rerun says how many computers run the job again.
type Rerun struct {
	Computers int `json:"computers"`
}

// RerunJob implements API.
func (l *Local) RerunJob(ctx context.Context, r RerunRequest) (_ Rerun, err error) {
	defer fail(&err)
	id := strings.ToUpper(strings.TrimSpace(r.Job))
	if r.Scope == watchdog.RerunComputer && strings.TrimSpace(r.Computer) == "" {
		return Rerun{}, invalidf("name the computer on which job %s runs again", id)
	}
	n, err := l.wd.RerunJob(ctx, id, watchdog.Rerun{Scope: r.Scope, Computer: r.Computer, By: r.By})
	if err != nil {
		return Rerun{}, mustExist("job "+id, err)
	}
	return Rerun{Computers: n}, nil
}
