// Package pcmapi carries the client agent's PCM API (core/client's engine)
// over the local-socket transport (storage/localapi). Handler serves an
// engine on versioned /v1 paths of DATA/pcm.sock, which every local user
// may open; what each may do is decided from the peer's credentials: any
// user may list and show the offers, run an offered job, defer a mandatory
// one, read the history and watch; only the agent's own user (root,
// SYSTEM) may probe a site, enrol, unenrol and change the settings. Client implements the same methods
// by calling those paths, so that the PCM window and `smsctl pcm` cannot
// tell an attached agent from an engine in their own process: errors keep
// their sentence and come back wrapping the engine's own (client.ErrNotOffered,
// …), runs stream their progress as newline-delimited JSON.
package pcmapi

import (
	"errors"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
	"opensms/storage/localapi"
)

// Service names the client agent in sentences.
const Service = "the client agent"

// SocketName is the socket's name in the data directory (pcm.sock).
const SocketName = "pcm"

// Address is where the client agent for the data directory dir listens.
func Address(dir string) string { return localapi.Address(dir, SocketName) }

// Paths of the API.
const (
	pathStatus  = "/v1/status"
	pathPoll    = "/v1/poll"
	pathOffers  = "/v1/offers"
	pathRun     = "/v1/run"
	pathRunDue  = "/v1/run-due"
	pathDefer   = "/v1/defer"
	pathHistory = "/v1/history"
	pathWatch   = "/v1/watch"
	pathProbe   = "/v1/probe"
	pathEnroll  = "/v1/enroll"
	// pathUnenroll forgets the site (root only).
	pathUnenroll = "/v1/unenroll"
	// pathSettings: GET reads the settings (anyone), POST changes them
	// (root only).
	pathSettings = "/v1/settings"
)

// Status is what GET /v1/status answers: the enrolment (never its
// password) and the last poll.
type Status struct {
	Enrollment *client.Enrollment `json:"enrollment,omitempty"`
	Computer   string             `json:"computer"`
	LastPoll   *PollResult        `json:"last_poll,omitempty"`
}

// PollResult is a poll's offers and its error, if it failed (the offers
// are then those of the last good poll).
type PollResult struct {
	Offers []client.Offer `json:"offers"`
	Error  *WireError     `json:"error,omitempty"`
}

// RunRequest asks for one job to run now; DueOnly runs it only if it is
// still due (a window's countdown).
type RunRequest struct {
	Job     string `json:"job"`
	DueOnly bool   `json:"due_only,omitempty"`
}

// RunDueRequest asks for every due job to run (`smsctl pcm run --due`).
type RunDueRequest struct {
	AutomatedOnly bool `json:"automated_only"`
}

// RunEvent is one line of a run's stream: progress, then one Done.
type RunEvent struct {
	Job      string           `json:"job,omitempty"`
	Progress *client.Progress `json:"progress,omitempty"`
	Done     *RunDone         `json:"done,omitempty"`
}

// RunDone ends a run's stream: the runs made and how they ended.
type RunDone struct {
	History []client.HistoryEntry `json:"history"`
	Error   *WireError            `json:"error,omitempty"`
}

// DeferRequest and DeferResponse are Later.
type DeferRequest struct {
	Job string `json:"job"`
}

// DeferResponse says how many deferrals are left and the offer as it is now.
type DeferResponse struct {
	Left  int          `json:"left"`
	Offer client.Offer `json:"offer"`
}

// Login is a site share and how to log on to it. The password travels in
// clear over the local socket (the kernel's, never a network).
type Login struct {
	SiteShare string `json:"site_share"`
	Domain    string `json:"domain,omitempty"`
	User      string `json:"user,omitempty"`
	Password  string `json:"password,omitempty"`
}

func loginOf(siteShare string, c model.Credentials) Login {
	return Login{SiteShare: siteShare, Domain: c.Domain, User: c.User, Password: c.Password.Reveal()}
}

func (l Login) credentials() model.Credentials {
	return model.Credentials{Domain: l.Domain, User: l.User, Password: model.NewSecret(l.Password)}
}

// ProbeResponse is the site a share holds and its key's fingerprint.
type ProbeResponse struct {
	Site        protocol.SiteInfo `json:"site"`
	Fingerprint string            `json:"fingerprint"`
}

// EnrollRequest enrols the computer.
type EnrollRequest struct {
	Login
	Computer string `json:"computer,omitempty"`
	Trust    string `json:"trust"`
}

// WireError is an engine error as it crosses the socket: the sentence and a
// kind that names the engine's error it wraps.
type WireError struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// Error kinds: each names one of the engine's errors.
var kinds = []struct {
	kind string
	err  error
}{
	{"not-enrolled", client.ErrNotEnrolled},
	{"not-offered", client.ErrNotOffered},
	{"running", client.ErrRunning},
	{"not-due", client.ErrNotDue},
	{"not-mandatory", client.ErrNotMandatory},
	{"no-deferrals", client.ErrNoDeferralsLeft},
	{"untrusted-key", client.ErrUntrustedKey},
	{"untrusted", client.ErrUntrusted},
	{"not-found", model.ErrNotFound},
	{"invalid", model.ErrInvalid},
}

// kindFailed is any other failure.
const kindFailed = "failed"

func wireError(err error) *WireError {
	if err == nil {
		return nil
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			return &WireError{Kind: k.kind, Message: err.Error()}
		}
	}
	return &WireError{Kind: kindFailed, Message: err.Error()}
}

// Error is an engine error that came over the socket: it says the engine's
// sentence and wraps the engine's error of its kind, so that errors.Is
// works as in-process.
type Error struct {
	Kind    string
	Message string
	base    error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the engine's error of this kind (nil for "failed").
func (e *Error) Unwrap() error { return e.base }

func (w *WireError) err() error {
	if w == nil {
		return nil
	}
	e := &Error{Kind: w.Kind, Message: w.Message}
	for _, k := range kinds {
		if k.kind == w.Kind {
			e.base = k.err
		}
	}
	return e
}
