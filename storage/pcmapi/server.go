package pcmapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/user"
	"runtime"
	"strings"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/localapi"
)

// Engine is what the agent serves; *client.Engine is one.
type Engine interface {
	Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error)
	Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trustFingerprint string) (client.Enrollment, error)
	Enrolled() (client.Enrollment, bool)
	Computer() string
	LastPoll() (time.Time, error)
	Poll(ctx context.Context) ([]client.Offer, error)
	Offers() []client.Offer
	Offer(job string) (client.Offer, bool)
	Run(ctx context.Context, job string, progress func(client.Progress)) (client.HistoryEntry, error)
	RunIfDue(ctx context.Context, job string, progress func(client.Progress)) (client.HistoryEntry, error)
	RunDue(ctx context.Context, automatedOnly bool, progress func(job string, p client.Progress)) ([]client.HistoryEntry, error)
	Defer(ctx context.Context, job string) (int, error)
	History(ctx context.Context) ([]client.HistoryEntry, error)
	Subscribe() (<-chan client.Event, func())
	Unenroll(ctx context.Context) (client.Enrollment, error)
	Settings() client.Settings
	ChangeSettings(ctx context.Context, c client.SettingsChange) (client.Settings, error)
}

var _ Engine = (*client.Engine)(nil)

// maxBody bounds a request body.
const maxBody = 1 << 20

// Handler serves eng on the /v1 paths. Runs go on under runCtx, the
// agent's lifetime, not the request's: a window closed or a command line
// interrupted mid-install does not stop the installer.
func Handler(runCtx context.Context, eng Engine) http.Handler {
	h := &handlers{eng: eng, runCtx: runCtx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathStatus, h.status)
	mux.HandleFunc("POST "+pathPoll, h.poll)
	mux.HandleFunc("GET "+pathOffers, h.offers)
	mux.HandleFunc("POST "+pathRun, h.run)
	mux.HandleFunc("POST "+pathRunDue, h.runDue)
	mux.HandleFunc("POST "+pathDefer, h.deferJob)
	mux.HandleFunc("GET "+pathHistory, h.history)
	mux.HandleFunc("GET "+pathWatch, h.watch)
	mux.HandleFunc("GET "+pathSettings, h.settings)
	owner := func(what string, f http.HandlerFunc) http.Handler {
		return localapi.RequirePeer(f, localapi.Peer.OwnerOrPrivileged, func(p localapi.Peer) string {
			return fmt.Sprintf("only %s, the user the client agent runs as, may %s; %s may not (nothing was changed)", agentUser(), what, peerName(p))
		})
	}
	mux.Handle("POST "+pathProbe, owner("read a site share through it", h.probe))
	mux.Handle("POST "+pathEnroll, owner("enrol this computer", h.enroll))
	mux.Handle("POST "+pathUnenroll, owner("unenrol this computer", h.unenroll))
	mux.Handle("POST "+pathSettings, owner("change the client agent's settings", h.changeSettings))
	// Every path needs a peer the kernel vouched for.
	return localapi.RequirePeer(mux, func(localapi.Peer) bool { return true }, func(localapi.Peer) string { return "" })
}

// agentUser names the user this process runs as.
func agentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	if runtime.GOOS == "windows" {
		return "SYSTEM"
	}
	return "root"
}

// peerName names the peer's user for a sentence.
func peerName(p localapi.Peer) string {
	if u, err := user.LookupId(p.UID); err == nil {
		return "user " + u.Username
	}
	return "user " + p.UID
}

type handlers struct {
	eng    Engine
	runCtx context.Context
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr sends an engine error with its kind.
func writeErr(w http.ResponseWriter, err error) {
	we := wireError(err)
	status := http.StatusInternalServerError
	switch we.Kind {
	case "invalid", "not-enrolled", "untrusted-key", "not-mandatory", "no-deferrals":
		status = http.StatusBadRequest
	case "not-offered", "not-found":
		status = http.StatusNotFound
	case "running", "not-due":
		status = http.StatusConflict
	}
	localapi.WriteError(w, status, we.Kind, we.Message)
}

// decode reads a JSON body into v; a bad one is answered and false returned.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		localapi.WriteError(w, http.StatusBadRequest, "invalid", fmt.Sprintf("the request to %s is not valid JSON: %v", r.URL.Path, err))
		return false
	}
	return true
}

func (h *handlers) status(w http.ResponseWriter, r *http.Request) {
	st := Status{Computer: h.eng.Computer()}
	if enr, ok := h.eng.Enrolled(); ok {
		st.Enrollment = &enr
	}
	if at, err := h.eng.LastPoll(); !at.IsZero() {
		st.LastPoll = &PollResult{Offers: nonNil(h.eng.Offers()), Error: wireError(err)}
	}
	writeJSON(w, st)
}

func (h *handlers) poll(w http.ResponseWriter, r *http.Request) {
	offers, err := h.eng.Poll(r.Context())
	if errors.Is(err, client.ErrNotEnrolled) {
		writeErr(w, err)
		return
	}
	if err != nil {
		offers = h.eng.Offers()
	}
	writeJSON(w, PollResult{Offers: nonNil(offers), Error: wireError(err)})
}

func (h *handlers) offers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, nonNil(h.eng.Offers()))
}

func (h *handlers) history(w http.ResponseWriter, r *http.Request) {
	hs, err := h.eng.History(r.Context())
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, nonNil(hs))
}

func (h *handlers) deferJob(w http.ResponseWriter, r *http.Request) {
	var req DeferRequest
	if !decode(w, r, &req) {
		return
	}
	left, err := h.eng.Defer(r.Context(), jobID(req.Job))
	if err != nil {
		writeErr(w, err)
		return
	}
	o, _ := h.eng.Offer(jobID(req.Job))
	writeJSON(w, DeferResponse{Left: left, Offer: o})
}

func jobID(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// run runs one offered job and streams its progress. A job this computer
// was not offered is refused before anything starts: the agent runs only
// what the site signed for it.
func (h *handlers) run(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	if !decode(w, r, &req) {
		return
	}
	job := jobID(req.Job)
	if _, ok := h.eng.Enrolled(); !ok {
		writeErr(w, client.ErrNotEnrolled)
		return
	}
	if _, ok := h.eng.Offer(job); !ok {
		writeErr(w, fmt.Errorf("job %s: %w", job, client.ErrNotOffered))
		return
	}
	h.stream(w, r, func(send func(RunEvent)) RunDone {
		progress := func(p client.Progress) { send(RunEvent{Job: job, Progress: &p}) }
		var hist client.HistoryEntry
		var err error
		if req.DueOnly {
			hist, err = h.eng.RunIfDue(h.runCtx, job, progress)
		} else {
			hist, err = h.eng.Run(h.runCtx, job, progress)
		}
		done := RunDone{History: []client.HistoryEntry{}, Error: wireError(err)}
		if !hist.Started.IsZero() {
			done.History = append(done.History, hist)
		}
		return done
	})
}

func (h *handlers) runDue(w http.ResponseWriter, r *http.Request) {
	var req RunDueRequest
	if !decode(w, r, &req) {
		return
	}
	h.stream(w, r, func(send func(RunEvent)) RunDone {
		hs, err := h.eng.RunDue(h.runCtx, req.AutomatedOnly, func(job string, p client.Progress) { send(RunEvent{Job: job, Progress: &p}) })
		return RunDone{History: nonNil(hs), Error: wireError(err)}
	})
}

// stream runs do while sending its progress to the caller, then its end.
// The run goes on when the caller goes away; only the sending stops.
func (h *handlers) stream(w http.ResponseWriter, r *http.Request, do func(send func(RunEvent)) RunDone) {
	sw, err := localapi.NewStreamWriter(w)
	if err != nil {
		return
	}
	events := make(chan RunEvent, 256)
	finished := make(chan RunDone, 1)
	go func() {
		finished <- do(func(ev RunEvent) {
			select { // a slow reader misses progress, never the end
			case events <- ev:
			default:
			}
		})
	}()
	gone := false
	for {
		select {
		case ev := <-events:
			if !gone && sw.Send(ev) != nil {
				gone = true
			}
		case done := <-finished:
			for len(events) > 0 {
				ev := <-events
				if !gone && sw.Send(ev) != nil {
					gone = true
				}
			}
			if !gone {
				_ = sw.Send(RunEvent{Done: &done})
			}
			return
		}
	}
}

// watch streams the engine's events until the caller goes away or the
// agent stops.
func (h *handlers) watch(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := localapi.StreamContext(r)
	defer cancel()
	events, stop := h.eng.Subscribe()
	defer stop()
	sw, err := localapi.NewStreamWriter(w)
	if err != nil {
		return
	}
	if sw.Send(client.Event{Kind: client.EventOffers, Offers: nonNil(h.eng.Offers())}) != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if sw.Send(ev) != nil {
				return
			}
		}
	}
}

func (h *handlers) probe(w http.ResponseWriter, r *http.Request) {
	var req Login
	if !decode(w, r, &req) {
		return
	}
	info, fp, err := h.eng.Probe(r.Context(), req.SiteShare, req.credentials())
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, ProbeResponse{Site: info, Fingerprint: fp})
}

func (h *handlers) enroll(w http.ResponseWriter, r *http.Request) {
	var req EnrollRequest
	if !decode(w, r, &req) {
		return
	}
	enr, err := h.eng.Enroll(r.Context(), req.SiteShare, req.credentials(), req.Computer, req.Trust)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, enr)
}

func (h *handlers) unenroll(w http.ResponseWriter, r *http.Request) {
	enr, err := h.eng.Unenroll(r.Context())
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, enr)
}

func (h *handlers) settings(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, h.eng.Settings())
}

func (h *handlers) changeSettings(w http.ResponseWriter, r *http.Request) {
	var req client.SettingsChange
	if !decode(w, r, &req) {
		return
	}
	set, err := h.eng.ChangeSettings(r.Context(), req)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, set)
}

// nonNil makes an empty list travel as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
