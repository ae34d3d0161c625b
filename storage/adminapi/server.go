// Package adminapi carries the Administrator API (core/admin) over the
// local-socket transport (storage/localapi): Handler serves an admin.API
// as versioned HTTP + JSON paths, and Client implements admin.API by
// calling them, so that a front end cannot tell an attached site service
// from the API in its own process. Errors keep their kind and sentence
// across the socket; Watch is a newline-delimited JSON stream.
package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/user"
	"strconv"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/storage/localapi"
)

// Service names the site service in sentences.
const Service = "the site service"

// SocketName is the socket's name in the data directory (admin.sock).
const SocketName = "admin"

// Address is where the site service for the data directory dir listens.
func Address(dir string) string { return localapi.Address(dir, SocketName) }

// maxBody bounds a request body; a Package Definition File is the largest.
const maxBody = 16 << 20

// Handler serves api on the /v1 paths. Only the service's own user and
// root (SYSTEM and Administrators on Windows) get in, whatever the socket's
// mode: the peer's credentials decide.
func Handler(api admin.API) http.Handler {
	mux := http.NewServeMux()
	h := handlers{api: api}
	h.routes(mux)
	return localapi.RequirePeer(mux, localapi.Peer.OwnerOrPrivileged, func(p localapi.Peer) string {
		return fmt.Sprintf("only the user the site service runs as, and root, may use it; user %s may not", p.UID)
	})
}

type handlers struct{ api admin.API }

// call is one route: it decodes the body (when the method has one) into
// Req, calls fn and writes its answer as JSON or its error as the
// envelope.
func call[Req, Resp any](fn func(r *http.Request, req Req) (Resp, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if r.Method == http.MethodPost || r.Method == http.MethodPut || (r.Method == http.MethodDelete && r.ContentLength != 0) {
			if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
				localapi.WriteError(w, http.StatusBadRequest, string(admin.KindInvalid), fmt.Sprintf("the request to %s %s is not valid JSON: %v", r.Method, r.URL.Path, err))
				return
			}
		}
		resp, err := fn(r, req)
		if err != nil {
			writeErr(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// done adapts a method that answers nothing.
type done struct{}

// writeErr sends an API error with its kind; a status that matches the
// kind helps anyone reading the wire with curl.
func writeErr(w http.ResponseWriter, err error) {
	kind := admin.KindOf(err)
	status := http.StatusInternalServerError
	switch kind {
	case admin.KindInvalid:
		status = http.StatusBadRequest
	case admin.KindNotFound:
		status = http.StatusNotFound
	case admin.KindExists, admin.KindInUse:
		status = http.StatusConflict
	case admin.KindUnavailable:
		status = http.StatusBadGateway
	}
	localapi.WriteError(w, status, string(kind), err.Error())
}

func (h handlers) routes(mux *http.ServeMux) {
	a := h.api
	// Sites.
	mux.Handle("GET /v1/sites", call(func(r *http.Request, _ done) ([]model.Site, error) { return a.ListSites(r.Context()) }))
	mux.Handle("GET /v1/sites/{code}", call(func(r *http.Request, _ done) (admin.SiteDetail, error) {
		return a.GetSite(r.Context(), r.PathValue("code"))
	}))
	mux.Handle("POST /v1/sites", call(func(r *http.Request, req admin.SiteRequest) (model.Site, error) { return a.AddSite(r.Context(), req) }))
	mux.Handle("PUT /v1/sites/{code}", call(func(r *http.Request, req admin.SiteRequest) (model.Site, error) {
		return a.UpdateSite(r.Context(), req)
	}))
	mux.Handle("DELETE /v1/sites/{code}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeleteSite(r.Context(), r.PathValue("code"))
	}))

	// Distribution servers.
	mux.Handle("GET /v1/servers", call(func(r *http.Request, _ done) ([]model.Server, error) {
		return a.ListServers(r.Context(), r.URL.Query().Get("site"))
	}))
	mux.Handle("POST /v1/servers", call(func(r *http.Request, req admin.ServerRequest) (model.Server, error) {
		return a.AddServer(r.Context(), req)
	}))
	mux.Handle("PUT /v1/servers/{site}/{name}", call(func(r *http.Request, req admin.ServerRequest) (model.Server, error) {
		return a.UpdateServer(r.Context(), req)
	}))
	mux.Handle("DELETE /v1/servers/{site}/{name}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeleteServer(r.Context(), r.PathValue("site"), r.PathValue("name"))
	}))
	mux.Handle("POST /v1/servers/test", call(func(r *http.Request, req admin.ServerRequest) (sentence, error) {
		s, err := a.TestServer(r.Context(), req)
		return sentence{s}, err
	}))

	// Computers.
	mux.Handle("GET /v1/computers", call(func(r *http.Request, _ done) ([]model.Computer, error) {
		return a.ListComputers(r.Context(), r.URL.Query().Get("site"))
	}))
	mux.Handle("GET /v1/computers/{name}", call(func(r *http.Request, _ done) (model.Computer, error) {
		return a.GetComputer(r.Context(), r.PathValue("name"))
	}))
	mux.Handle("POST /v1/computers", call(func(r *http.Request, req admin.ComputerRequest) (model.Computer, error) {
		return a.AddComputer(r.Context(), req)
	}))
	mux.Handle("PUT /v1/computers/{name}", call(func(r *http.Request, req admin.ComputerRequest) (model.Computer, error) {
		return a.UpdateComputer(r.Context(), req)
	}))
	mux.Handle("DELETE /v1/computers/{name}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeleteComputer(r.Context(), r.PathValue("name"))
	}))
	mux.Handle("POST /v1/computers/{name}/approve", call(func(r *http.Request, _ done) (model.Computer, error) {
		return a.ApproveComputer(r.Context(), r.PathValue("name"))
	}))

	// Machine groups.
	mux.Handle("GET /v1/groups", call(func(r *http.Request, _ done) ([]model.MachineGroup, error) { return a.ListGroups(r.Context()) }))
	mux.Handle("GET /v1/groups/{name}", call(func(r *http.Request, _ done) (model.MachineGroup, error) {
		return a.GetGroup(r.Context(), r.PathValue("name"))
	}))
	mux.Handle("POST /v1/groups/preview", call(func(r *http.Request, req admin.GroupRequest) (admin.GroupPreview, error) {
		return a.PreviewGroup(r.Context(), req.Query)
	}))
	mux.Handle("POST /v1/groups", call(func(r *http.Request, req admin.GroupRequest) (model.MachineGroup, error) {
		return a.AddGroup(r.Context(), req)
	}))
	mux.Handle("PUT /v1/groups/{name}", call(func(r *http.Request, req admin.GroupRequest) (model.MachineGroup, error) {
		return a.UpdateGroup(r.Context(), req)
	}))
	mux.Handle("POST /v1/groups/{name}/members", call(func(r *http.Request, req members) (model.MachineGroup, error) {
		return a.AddMembers(r.Context(), r.PathValue("name"), req.Members)
	}))
	mux.Handle("DELETE /v1/groups/{name}/members", call(func(r *http.Request, req members) (model.MachineGroup, error) {
		return a.RemoveMembers(r.Context(), r.PathValue("name"), req.Members)
	}))
	mux.Handle("DELETE /v1/groups/{name}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeleteGroup(r.Context(), r.PathValue("name"))
	}))

	// Packages.
	mux.Handle("GET /v1/packages", call(func(r *http.Request, _ done) ([]model.Package, error) { return a.ListPackages(r.Context()) }))
	mux.Handle("GET /v1/packages/{id}", call(func(r *http.Request, _ done) (model.Package, error) {
		return a.GetPackage(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("POST /v1/packages", call(func(r *http.Request, req packageWire) (model.Package, error) {
		return a.AddPackage(r.Context(), req.pkg())
	}))
	mux.Handle("PUT /v1/packages/{id}", call(func(r *http.Request, req packageWire) (model.Package, error) {
		return a.UpdatePackage(r.Context(), req.pkg())
	}))
	mux.Handle("POST /v1/sources/check", call(func(r *http.Request, req admin.SourceRequest) (sentence, error) {
		s, err := a.CheckSource(r.Context(), req)
		return sentence{s}, err
	}))
	mux.Handle("POST /v1/packages/{id}/commands", call(func(r *http.Request, req model.CommandLine) (model.Package, error) {
		return a.AddCommand(r.Context(), r.PathValue("id"), req)
	}))
	mux.Handle("DELETE /v1/packages/{id}/commands/{name}", call(func(r *http.Request, _ done) (model.Package, error) {
		return a.RemoveCommand(r.Context(), r.PathValue("id"), r.PathValue("name"))
	}))
	mux.Handle("POST /v1/packages/{id}/detection", call(func(r *http.Request, req model.DetectionRule) (model.Package, error) {
		return a.AddDetectionRule(r.Context(), r.PathValue("id"), req)
	}))
	mux.Handle("DELETE /v1/packages/{id}/detection/{n}", call(func(r *http.Request, _ done) (model.Package, error) {
		n, err := strconv.Atoi(r.PathValue("n"))
		if err != nil {
			return model.Package{}, &admin.Error{Kind: admin.KindInvalid, Sentence: fmt.Sprintf("detection rule %q is not a rule number", r.PathValue("n"))}
		}
		return a.RemoveDetectionRule(r.Context(), r.PathValue("id"), n)
	}))
	mux.Handle("PUT /v1/packages/{id}/detection-logic", call(func(r *http.Request, req detectionLogic) (model.Package, error) {
		return a.SetDetectionLogic(r.Context(), r.PathValue("id"), req.Logic)
	}))
	mux.Handle("DELETE /v1/packages/{id}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeletePackage(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("POST /v1/definitions/read", call(func(r *http.Request, req admin.DefinitionRequest) (admin.Definition, error) {
		return a.ReadDefinition(r.Context(), req)
	}))
	mux.Handle("POST /v1/definitions/import", call(func(r *http.Request, req admin.ImportRequest) (admin.Definition, error) {
		return a.ImportDefinition(r.Context(), req)
	}))

	// Jobs.
	mux.Handle("GET /v1/jobs", call(func(r *http.Request, _ done) ([]model.Job, error) { return a.ListJobs(r.Context()) }))
	mux.Handle("GET /v1/jobs/{id}", call(func(r *http.Request, _ done) (admin.JobStatus, error) {
		return a.GetJob(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("POST /v1/jobs", call(func(r *http.Request, req model.Job) (admin.JobCreated, error) { return a.AddJob(r.Context(), req) }))
	mux.Handle("PUT /v1/jobs/{id}", call(func(r *http.Request, req model.Job) (model.Job, error) { return a.UpdateJob(r.Context(), req) }))
	mux.Handle("POST /v1/jobs/{id}/cancel", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.CancelJob(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("DELETE /v1/jobs/{id}", call(func(r *http.Request, _ done) (done, error) {
		return done{}, a.DeleteJob(r.Context(), r.PathValue("id"))
	}))
	mux.Handle("POST /v1/jobs/{id}/rerun", call(func(r *http.Request, req admin.RerunRequest) (admin.Rerun, error) {
		req.Job = r.PathValue("id")
		// Who asked is the socket's peer, not what the request says.
		if p, err := localapi.PeerFrom(r.Context()); err == nil && p.UID != "" {
			req.By = p.UID
			if u, err := user.LookupId(p.UID); err == nil {
				req.By = u.Username
			}
		}
		return a.RerunJob(r.Context(), req)
	}))

	// The site key and events.
	mux.Handle("GET /v1/sitekey", call(func(r *http.Request, _ done) (admin.SiteKey, error) {
		return a.SiteKey(r.Context(), r.URL.Query().Get("site"))
	}))
	mux.Handle("GET /v1/events", call(func(r *http.Request, _ done) ([]model.Event, error) {
		f, err := eventFilter(r)
		if err != nil {
			return nil, err
		}
		return a.ListEvents(r.Context(), f)
	}))

	// The watchdog.
	mux.Handle("POST /v1/watchdog/cycle", call(func(r *http.Request, _ done) (admin.CycleResult, error) { return a.RunCycle(r.Context()) }))
	mux.Handle("GET /v1/watchdog", call(func(r *http.Request, _ done) (admin.WatchdogState, error) { return a.Watchdog(r.Context()) }))
	mux.HandleFunc("GET /v1/watch", h.watch)
	mux.HandleFunc("GET /v1/backup", h.backup)
}

// backup streams the store. An error before the first byte is the usual
// envelope; one after it ends the stream short, which the client's check
// of the stream's end notices.
func (h handlers) backup(w http.ResponseWriter, r *http.Request) {
	sw := &startWriter{w: w}
	if err := h.api.BackupStore(r.Context(), sw); err != nil && !sw.started {
		writeErr(w, err)
	}
}

// startWriter sets the stream's header before its first byte.
type startWriter struct {
	w       http.ResponseWriter
	started bool
}

func (s *startWriter) Write(p []byte) (int, error) {
	if !s.started {
		s.started = true
		s.w.Header().Set("Content-Type", "application/octet-stream")
	}
	return s.w.Write(p)
}

// sentence is a one-sentence answer (TestServer's, CheckSource's).
type sentence struct {
	Sentence string `json:"sentence"`
}

// detectionLogic is the body of the detection-logic route.
type detectionLogic struct {
	Logic string `json:"logic"`
}

// members is the body of the member routes.
type members struct {
	Members []string `json:"members"`
}

// eventFilter reads an EventFilter from the query string.
func eventFilter(r *http.Request) (admin.EventFilter, error) {
	q := r.URL.Query()
	f := admin.EventFilter{Job: q.Get("job"), Computer: q.Get("computer"), Severity: model.Severity(q.Get("severity"))}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return f, &admin.Error{Kind: admin.KindInvalid, Sentence: fmt.Sprintf("since %q is not a time (RFC 3339)", s)}
		}
		f.Since = t
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return f, &admin.Error{Kind: admin.KindInvalid, Sentence: fmt.Sprintf("limit %q is not a count", s)}
		}
		f.Limit = n
	}
	return f, nil
}

// watch streams the API's changes as newline-delimited JSON until the
// console leaves or the service stops.
func (h handlers) watch(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := localapi.StreamContext(r)
	defer cancel()
	changes, err := h.api.Watch(ctx)
	if err != nil {
		writeErr(w, err)
		return
	}
	sw, err := localapi.NewStreamWriter(w)
	if err != nil {
		cancel()
		for range changes {
		}
		return
	}
	for c := range changes {
		if sw.Send(c) != nil {
			cancel()
			for range changes { // the subscription closes the channel once ctx ends
			}
			return
		}
	}
}
