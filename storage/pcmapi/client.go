package pcmapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/localapi"
)

// Client is the PCM API of an agent, over its socket. It has the engine's
// methods that a window or `smsctl pcm` use.
type Client struct {
	c       *localapi.Client
	started time.Time

	mu     sync.Mutex
	status Status         // as of the last answer
	offers []client.Offer // as of the last answer, for Offers when the agent is slow
	// settings as of the last answer
	settings client.Settings
}

// quick bounds the calls whose methods take no context (Enrolled, Offers).
const quick = 10 * time.Second

// Attach connects to the client agent for the data directory dir. It
// returns an error wrapping localapi.ErrNoService when none answers (the
// caller then runs the engine itself), and a sentence when one answers but
// cannot be used (another version, not this user's to open).
func Attach(ctx context.Context, dir, version string) (*Client, error) {
	lc := localapi.NewClient(Address(dir), localapi.ClientConfig{Service: Service, Version: version})
	info, err := lc.Version(ctx)
	if err != nil {
		lc.Close()
		return nil, err
	}
	c := &Client{c: lc, started: info.Started}
	if err := c.c.Do(ctx, http.MethodGet, pathStatus, nil, &c.status); err != nil {
		lc.Close()
		return nil, err
	}
	if c.status.LastPoll != nil {
		c.offers = c.status.LastPoll.Offers
	}
	return c, nil
}

// Started is when the agent started.
func (c *Client) Started() time.Time { return c.started }

// Addr is the socket (or pipe) the client talks to.
func (c *Client) Addr() string { return c.c.Addr() }

// Close drops the client's idle connections.
func (c *Client) Close() { c.c.Close() }

// callErr turns a transport error into the engine's: kinds the engine
// knows come back wrapping its errors.
func callErr(err error) error {
	var le *localapi.Error
	if errors.As(err, &le) {
		for _, k := range kinds {
			if k.kind == le.Kind {
				return (&WireError{Kind: le.Kind, Message: le.Message}).err()
			}
		}
	}
	return err
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return callErr(c.c.Do(ctx, method, path, in, out))
}

// Probe reads the site a share holds, through the agent (its own user only).
func (c *Client) Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error) {
	var resp ProbeResponse
	if err := c.do(ctx, http.MethodPost, pathProbe, loginOf(siteShare, cred), &resp); err != nil {
		return protocol.SiteInfo{}, "", err
	}
	return resp.Site, resp.Fingerprint, nil
}

// Enroll enrols the computer, through the agent (its own user only).
func (c *Client) Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trust string) (client.Enrollment, error) {
	var enr client.Enrollment
	if err := c.do(ctx, http.MethodPost, pathEnroll, EnrollRequest{Login: loginOf(siteShare, cred), Computer: computer, Trust: trust}, &enr); err != nil {
		return client.Enrollment{}, err
	}
	c.mu.Lock()
	c.status.Enrollment = &enr
	c.mu.Unlock()
	return enr, nil
}

// Unenroll has the agent forget its site (its own user only).
func (c *Client) Unenroll(ctx context.Context) (client.Enrollment, error) {
	var enr client.Enrollment
	if err := c.do(ctx, http.MethodPost, pathUnenroll, struct{}{}, &enr); err != nil {
		return client.Enrollment{}, err
	}
	c.mu.Lock()
	c.status.Enrollment = nil
	c.status.LastPoll = nil
	c.offers = nil
	c.mu.Unlock()
	return enr, nil
}

// Settings returns the agent's settings in force (the last known ones
// when it does not answer).
func (c *Client) Settings() client.Settings {
	ctx, cancel := context.WithTimeout(context.Background(), quick)
	defer cancel()
	var s client.Settings
	err := c.do(ctx, http.MethodGet, pathSettings, nil, &s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil {
		c.settings = s
	}
	return c.settings
}

// ChangeSettings changes the agent's settings (its own user only).
func (c *Client) ChangeSettings(ctx context.Context, ch client.SettingsChange) (client.Settings, error) {
	var s client.Settings
	if err := c.do(ctx, http.MethodPost, pathSettings, ch, &s); err != nil {
		return client.Settings{}, err
	}
	c.mu.Lock()
	c.settings = s
	c.mu.Unlock()
	return s, nil
}

// Enrolled returns the agent's enrolment (the last known one when the
// agent does not answer).
func (c *Client) Enrolled() (client.Enrollment, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), quick)
	defer cancel()
	var st Status
	if err := c.do(ctx, http.MethodGet, pathStatus, nil, &st); err == nil {
		c.mu.Lock()
		c.status = st
		c.mu.Unlock()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.status.Enrollment == nil {
		return client.Enrollment{}, false
	}
	return *c.status.Enrollment, true
}

// Computer is the name the agent's computer reports under.
func (c *Client) Computer() string {
	if enr, ok := c.Enrolled(); ok {
		return enr.Computer
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status.Computer
}

// Poll asks the agent to poll the site now and returns the offers; when
// the site cannot be reached the offers are those of its last good poll,
// with the error.
func (c *Client) Poll(ctx context.Context) ([]client.Offer, error) {
	var res PollResult
	if err := c.do(ctx, http.MethodPost, pathPoll, struct{}{}, &res); err != nil {
		return nil, err
	}
	c.keepOffers(res.Offers)
	return res.Offers, res.Error.err()
}

func (c *Client) keepOffers(o []client.Offer) {
	c.mu.Lock()
	c.offers = o
	c.mu.Unlock()
}

// Offers returns the agent's offers as they are now (the last known ones
// when it does not answer).
func (c *Client) Offers() []client.Offer {
	ctx, cancel := context.WithTimeout(context.Background(), quick)
	defer cancel()
	var offers []client.Offer
	if err := c.do(ctx, http.MethodGet, pathOffers, nil, &offers); err == nil {
		c.keepOffers(offers)
		return offers
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offers
}

// Offer returns one offer.
func (c *Client) Offer(job string) (client.Offer, bool) {
	for _, o := range c.Offers() {
		if o.Job == job {
			return o, true
		}
	}
	return client.Offer{}, false
}

// Run has the agent run an offered job now, with the agent's rights, and
// follows its progress. Ending ctx stops the following, not the run.
func (c *Client) Run(ctx context.Context, job string, progress func(client.Progress)) (client.HistoryEntry, error) {
	return c.runOne(ctx, RunRequest{Job: job}, progress)
}

// RunIfDue has the agent run a job only if it is still due.
func (c *Client) RunIfDue(ctx context.Context, job string, progress func(client.Progress)) (client.HistoryEntry, error) {
	return c.runOne(ctx, RunRequest{Job: job, DueOnly: true}, progress)
}

func (c *Client) runOne(ctx context.Context, req RunRequest, progress func(client.Progress)) (client.HistoryEntry, error) {
	done, err := c.runStream(ctx, pathRun, req, func(_ string, p client.Progress) {
		if progress != nil {
			progress(p)
		}
	})
	if err != nil {
		return client.HistoryEntry{}, err
	}
	var h client.HistoryEntry
	if len(done.History) > 0 {
		h = done.History[0]
	}
	return h, done.Error.err()
}

// RunDue has the agent run every due job (automated ones only, when asked).
func (c *Client) RunDue(ctx context.Context, automatedOnly bool, progress func(job string, p client.Progress)) ([]client.HistoryEntry, error) {
	done, err := c.runStream(ctx, pathRunDue, RunDueRequest{AutomatedOnly: automatedOnly}, func(job string, p client.Progress) {
		if progress != nil {
			progress(job, p)
		}
	})
	if err != nil {
		return nil, err
	}
	return done.History, done.Error.err()
}

// runStream sends a run request and reads its stream to the end.
func (c *Client) runStream(ctx context.Context, path string, req any, progress func(string, client.Progress)) (RunDone, error) {
	body, err := c.c.Stream(ctx, http.MethodPost, path, req)
	if err != nil {
		return RunDone{}, callErr(err)
	}
	var done *RunDone
	err = localapi.DecodeStream(ctx, body, func(ev RunEvent) error {
		switch {
		case ev.Done != nil:
			done = ev.Done
		case ev.Progress != nil:
			progress(ev.Job, *ev.Progress)
		}
		return nil
	})
	if err != nil && localapi.KindOf(err) != localapi.KindUnavailable {
		return RunDone{}, err
	}
	if done == nil {
		return RunDone{}, &localapi.Error{Kind: localapi.KindUnavailable, Message: fmt.Sprintf("%s at %s went away before the run ended; 'smsctl pcm history' shows how it ended once the agent is back", Service, c.c.Addr())}
	}
	return *done, nil
}

// Defer spends one deferral of a mandatory job.
func (c *Client) Defer(ctx context.Context, job string) (int, error) {
	var resp DeferResponse
	if err := c.do(ctx, http.MethodPost, pathDefer, DeferRequest{Job: job}, &resp); err != nil {
		return 0, err
	}
	return resp.Left, nil
}

// History lists what ran on this computer, newest first.
func (c *Client) History(ctx context.Context) ([]client.HistoryEntry, error) {
	var hs []client.HistoryEntry
	if err := c.do(ctx, http.MethodGet, pathHistory, nil, &hs); err != nil {
		return nil, err
	}
	return hs, nil
}

// Watch hands the agent's events to fn until ctx ends, fn returns an
// error, or the agent goes away (then an error says so).
func (c *Client) Watch(ctx context.Context, fn func(client.Event) error) error {
	body, err := c.c.Stream(ctx, http.MethodGet, pathWatch, nil)
	if err != nil {
		return callErr(err)
	}
	return localapi.DecodeStream(ctx, body, fn)
}
