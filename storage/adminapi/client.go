package adminapi

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"opensms/core/admin"
	"opensms/core/model"
	"opensms/storage/localapi"
)

// Client is the Administrator API of a site service, over its socket. It
// implements admin.API with the same answers, errors (kind and sentence)
// and changes as the service's own admin.Local.
type Client struct {
	c       *localapi.Client
	started time.Time
}

var _ admin.API = (*Client)(nil)

// Attach connects to the site service for the data directory dir. It
// returns an error wrapping localapi.ErrNoService when none answers (no
// socket, or a stale one): the caller then opens the store itself. Any
// other error (another user's service, another version) is a sentence to
// show, and the caller must not open the store behind the service's back.
func Attach(ctx context.Context, dir, version string) (*Client, error) {
	lc := localapi.NewClient(Address(dir), localapi.ClientConfig{Service: Service, Version: version})
	info, err := lc.Version(ctx)
	if err != nil {
		lc.Close()
		if errors.Is(err, localapi.ErrNoService) {
			return nil, err
		}
		return nil, apiError(err)
	}
	return &Client{c: lc, started: info.Started}, nil
}

// Started is when the site service started.
func (c *Client) Started() time.Time { return c.started }

// Addr is the socket (or pipe) the client talks to.
func (c *Client) Addr() string { return c.c.Addr() }

// Close drops the client's idle connections.
func (c *Client) Close() { c.c.Close() }

// apiError turns a transport error into the API's: the service's kind and
// sentence come back as they left; a service that is gone, or that another
// user runs, or of another version, is said in one sentence.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &admin.Error{Kind: admin.KindFailed, Sentence: err.Error()}
	}
	if errors.Is(err, localapi.ErrNoService) {
		return &admin.Error{Kind: admin.KindUnavailable, Sentence: Service + " went away: " + err.Error()}
	}
	var le *localapi.Error
	if !errors.As(err, &le) {
		return &admin.Error{Kind: admin.KindFailed, Sentence: err.Error()}
	}
	switch k := admin.Kind(le.Kind); k {
	case admin.KindInvalid, admin.KindNotFound, admin.KindExists, admin.KindInUse, admin.KindUnavailable, admin.KindFailed:
		return &admin.Error{Kind: k, Sentence: le.Message}
	}
	return &admin.Error{Kind: admin.KindFailed, Sentence: le.Message}
}

// do makes one call and converts its error.
func do[Resp any](ctx context.Context, c *Client, method, path string, in any) (Resp, error) {
	var out Resp
	err := c.c.Do(ctx, method, path, in, &out)
	return out, apiError(err)
}

// noAnswer makes a call whose answer is empty.
func noAnswer(ctx context.Context, c *Client, method, path string, in any) error {
	return apiError(c.c.Do(ctx, method, path, in, nil))
}

// seg escapes one path segment (a command line's name may hold anything).
func seg(s string) string { return url.PathEscape(s) }

// withQuery adds key=value when value is set.
func withQuery(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// ListSites implements admin.API.
func (c *Client) ListSites(ctx context.Context) ([]model.Site, error) {
	return do[[]model.Site](ctx, c, http.MethodGet, "/v1/sites", nil)
}

// GetSite implements admin.API.
func (c *Client) GetSite(ctx context.Context, code string) (admin.SiteDetail, error) {
	return do[admin.SiteDetail](ctx, c, http.MethodGet, "/v1/sites/"+seg(code), nil)
}

// AddSite implements admin.API.
func (c *Client) AddSite(ctx context.Context, r admin.SiteRequest) (model.Site, error) {
	return do[model.Site](ctx, c, http.MethodPost, "/v1/sites", r)
}

// UpdateSite implements admin.API.
func (c *Client) UpdateSite(ctx context.Context, r admin.SiteRequest) (model.Site, error) {
	return do[model.Site](ctx, c, http.MethodPut, "/v1/sites/"+seg(r.Code), r)
}

// DeleteSite implements admin.API.
func (c *Client) DeleteSite(ctx context.Context, code string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/sites/"+seg(code), nil)
}

// ListServers implements admin.API.
func (c *Client) ListServers(ctx context.Context, site string) ([]model.Server, error) {
	return do[[]model.Server](ctx, c, http.MethodGet, withQuery("/v1/servers", "site", site), nil)
}

// AddServer implements admin.API.
func (c *Client) AddServer(ctx context.Context, r admin.ServerRequest) (model.Server, error) {
	return do[model.Server](ctx, c, http.MethodPost, "/v1/servers", r)
}

// UpdateServer implements admin.API.
func (c *Client) UpdateServer(ctx context.Context, r admin.ServerRequest) (model.Server, error) {
	return do[model.Server](ctx, c, http.MethodPut, "/v1/servers/"+seg(r.Site)+"/"+seg(r.Name), r)
}

// DeleteServer implements admin.API.
func (c *Client) DeleteServer(ctx context.Context, site, name string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/servers/"+seg(site)+"/"+seg(name), nil)
}

// TestServer implements admin.API.
func (c *Client) TestServer(ctx context.Context, r admin.ServerRequest) (string, error) {
	s, err := do[sentence](ctx, c, http.MethodPost, "/v1/servers/test", r)
	return s.Sentence, err
}

// ListComputers implements admin.API.
func (c *Client) ListComputers(ctx context.Context, site string) ([]model.Computer, error) {
	return do[[]model.Computer](ctx, c, http.MethodGet, withQuery("/v1/computers", "site", site), nil)
}

// GetComputer implements admin.API.
func (c *Client) GetComputer(ctx context.Context, name string) (model.Computer, error) {
	return do[model.Computer](ctx, c, http.MethodGet, "/v1/computers/"+seg(name), nil)
}

// AddComputer implements admin.API.
func (c *Client) AddComputer(ctx context.Context, r admin.ComputerRequest) (model.Computer, error) {
	return do[model.Computer](ctx, c, http.MethodPost, "/v1/computers", r)
}

// UpdateComputer implements admin.API.
func (c *Client) UpdateComputer(ctx context.Context, r admin.ComputerRequest) (model.Computer, error) {
	return do[model.Computer](ctx, c, http.MethodPut, "/v1/computers/"+seg(r.Name), r)
}

// BackupStore implements admin.API: the service streams the store; a
// stream that stops early is the caller's to notice (storedir.StreamCheck).
func (c *Client) BackupStore(ctx context.Context, w io.Writer) error {
	body, err := c.c.Stream(ctx, http.MethodGet, "/v1/backup", nil)
	if err != nil {
		return apiError(err)
	}
	defer body.Close()
	if _, err := io.Copy(w, body); err != nil {
		return &admin.Error{Kind: admin.KindFailed, Sentence: "receiving the backup from " + Service + ": " + err.Error()}
	}
	return nil
}

// ApproveComputer implements admin.API.
func (c *Client) ApproveComputer(ctx context.Context, name string) (model.Computer, error) {
	return do[model.Computer](ctx, c, http.MethodPost, "/v1/computers/"+seg(name)+"/approve", nil)
}

// DeleteComputer implements admin.API.
func (c *Client) DeleteComputer(ctx context.Context, name string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/computers/"+seg(name), nil)
}

// ListGroups implements admin.API.
func (c *Client) ListGroups(ctx context.Context) ([]model.MachineGroup, error) {
	return do[[]model.MachineGroup](ctx, c, http.MethodGet, "/v1/groups", nil)
}

// GetGroup implements admin.API.
func (c *Client) GetGroup(ctx context.Context, name string) (model.MachineGroup, error) {
	return do[model.MachineGroup](ctx, c, http.MethodGet, "/v1/groups/"+seg(name), nil)
}

// AddGroup implements admin.API.
func (c *Client) AddGroup(ctx context.Context, r admin.GroupRequest) (model.MachineGroup, error) {
	return do[model.MachineGroup](ctx, c, http.MethodPost, "/v1/groups", r)
}

// UpdateGroup implements admin.API.
func (c *Client) UpdateGroup(ctx context.Context, r admin.GroupRequest) (model.MachineGroup, error) {
	name := r.OldName
	if name == "" {
		name = r.Name
	}
	return do[model.MachineGroup](ctx, c, http.MethodPut, "/v1/groups/"+seg(name), r)
}

// AddMembers implements admin.API.
func (c *Client) AddMembers(ctx context.Context, group string, m []string) (model.MachineGroup, error) {
	return do[model.MachineGroup](ctx, c, http.MethodPost, "/v1/groups/"+seg(group)+"/members", members{m})
}

// RemoveMembers implements admin.API.
func (c *Client) RemoveMembers(ctx context.Context, group string, m []string) (model.MachineGroup, error) {
	return do[model.MachineGroup](ctx, c, http.MethodDelete, "/v1/groups/"+seg(group)+"/members", members{m})
}

// PreviewGroup implements admin.API.
func (c *Client) PreviewGroup(ctx context.Context, query string) (admin.GroupPreview, error) {
	return do[admin.GroupPreview](ctx, c, http.MethodPost, "/v1/groups/preview", admin.GroupRequest{Query: query})
}

// DeleteGroup implements admin.API.
func (c *Client) DeleteGroup(ctx context.Context, name string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/groups/"+seg(name), nil)
}

// ListPackages implements admin.API.
func (c *Client) ListPackages(ctx context.Context) ([]model.Package, error) {
	return do[[]model.Package](ctx, c, http.MethodGet, "/v1/packages", nil)
}

// GetPackage implements admin.API.
func (c *Client) GetPackage(ctx context.Context, id string) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodGet, "/v1/packages/"+seg(id), nil)
}

// AddPackage implements admin.API.
func (c *Client) AddPackage(ctx context.Context, p model.Package) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodPost, "/v1/packages", toWire(p))
}

// UpdatePackage implements admin.API.
func (c *Client) UpdatePackage(ctx context.Context, p model.Package) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodPut, "/v1/packages/"+seg(p.ID), toWire(p))
}

// AddCommand implements admin.API.
func (c *Client) AddCommand(ctx context.Context, pkg string, cl model.CommandLine) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodPost, "/v1/packages/"+seg(pkg)+"/commands", cl)
}

// RemoveCommand implements admin.API.
func (c *Client) RemoveCommand(ctx context.Context, pkg, name string) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodDelete, "/v1/packages/"+seg(pkg)+"/commands/"+seg(name), nil)
}

// DeletePackage implements admin.API.
func (c *Client) DeletePackage(ctx context.Context, id string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/packages/"+seg(id), nil)
}

// CheckSource implements admin.API.
func (c *Client) CheckSource(ctx context.Context, r admin.SourceRequest) (string, error) {
	s, err := do[sentence](ctx, c, http.MethodPost, "/v1/sources/check", r)
	return s.Sentence, err
}

// ReadDefinition implements admin.API.
func (c *Client) ReadDefinition(ctx context.Context, r admin.DefinitionRequest) (admin.Definition, error) {
	return do[admin.Definition](ctx, c, http.MethodPost, "/v1/definitions/read", r)
}

// ImportDefinition implements admin.API.
func (c *Client) ImportDefinition(ctx context.Context, r admin.ImportRequest) (admin.Definition, error) {
	return do[admin.Definition](ctx, c, http.MethodPost, "/v1/definitions/import", r)
}

// AddDetectionRule implements admin.API.
func (c *Client) AddDetectionRule(ctx context.Context, pkg string, r model.DetectionRule) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodPost, "/v1/packages/"+seg(pkg)+"/detection", r)
}

// RemoveDetectionRule implements admin.API.
func (c *Client) RemoveDetectionRule(ctx context.Context, pkg string, n int) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodDelete, "/v1/packages/"+seg(pkg)+"/detection/"+strconv.Itoa(n), nil)
}

// SetDetectionLogic implements admin.API.
func (c *Client) SetDetectionLogic(ctx context.Context, pkg, logic string) (model.Package, error) {
	return do[model.Package](ctx, c, http.MethodPut, "/v1/packages/"+seg(pkg)+"/detection-logic", detectionLogic{Logic: logic})
}

// RerunJob implements admin.API.
func (c *Client) RerunJob(ctx context.Context, r admin.RerunRequest) (admin.Rerun, error) {
	return do[admin.Rerun](ctx, c, http.MethodPost, "/v1/jobs/"+seg(r.Job)+"/rerun", r)
}

// ListJobs implements admin.API.
func (c *Client) ListJobs(ctx context.Context) ([]model.Job, error) {
	return do[[]model.Job](ctx, c, http.MethodGet, "/v1/jobs", nil)
}

// GetJob implements admin.API.
func (c *Client) GetJob(ctx context.Context, id string) (admin.JobStatus, error) {
	return do[admin.JobStatus](ctx, c, http.MethodGet, "/v1/jobs/"+seg(id), nil)
}

// AddJob implements admin.API.
func (c *Client) AddJob(ctx context.Context, j model.Job) (admin.JobCreated, error) {
	return do[admin.JobCreated](ctx, c, http.MethodPost, "/v1/jobs", j)
}

// UpdateJob implements admin.API.
func (c *Client) UpdateJob(ctx context.Context, j model.Job) (model.Job, error) {
	return do[model.Job](ctx, c, http.MethodPut, "/v1/jobs/"+seg(j.ID), j)
}

// CancelJob implements admin.API.
func (c *Client) CancelJob(ctx context.Context, id string) error {
	return noAnswer(ctx, c, http.MethodPost, "/v1/jobs/"+seg(id)+"/cancel", nil)
}

// DeleteJob implements admin.API.
func (c *Client) DeleteJob(ctx context.Context, id string) error {
	return noAnswer(ctx, c, http.MethodDelete, "/v1/jobs/"+seg(id), nil)
}

// SiteKey implements admin.API.
func (c *Client) SiteKey(ctx context.Context, site string) (admin.SiteKey, error) {
	return do[admin.SiteKey](ctx, c, http.MethodGet, withQuery("/v1/sitekey", "site", site), nil)
}

// ListEvents implements admin.API.
func (c *Client) ListEvents(ctx context.Context, f admin.EventFilter) ([]model.Event, error) {
	since, limit := "", ""
	if !f.Since.IsZero() {
		since = f.Since.Format(time.RFC3339Nano)
	}
	if f.Limit > 0 {
		limit = strconv.Itoa(f.Limit)
	}
	path := withQuery("/v1/events", "job", f.Job, "computer", f.Computer, "severity", string(f.Severity), "since", since, "limit", limit)
	return do[[]model.Event](ctx, c, http.MethodGet, path, nil)
}

// RunCycle implements admin.API: the service runs the cycle.
func (c *Client) RunCycle(ctx context.Context) (admin.CycleResult, error) {
	return do[admin.CycleResult](ctx, c, http.MethodPost, "/v1/watchdog/cycle", nil)
}

// Watchdog implements admin.API.
func (c *Client) Watchdog(ctx context.Context) (admin.WatchdogState, error) {
	return do[admin.WatchdogState](ctx, c, http.MethodGet, "/v1/watchdog", nil)
}

// watchBuffer is how far a slow reader of Watch may fall behind before the
// stream waits for it (the service then drops changes for it, never slows
// its watchdog).
const watchBuffer = 256

// Watch implements admin.API over the service's stream. The channel closes
// when ctx ends or the stream does (the service stopped or went away).
func (c *Client) Watch(ctx context.Context) (<-chan admin.Change, error) {
	body, err := c.c.Stream(ctx, http.MethodGet, "/v1/watch", nil)
	if err != nil {
		return nil, apiError(err)
	}
	ch := make(chan admin.Change, watchBuffer)
	go func() {
		defer close(ch)
		_ = localapi.DecodeStream(ctx, body, func(u admin.Change) error {
			select {
			case ch <- u:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return ch, nil
}
