package pcm

import (
	"context"

	"opensms/core/client"
	"opensms/core/model"
	"opensms/core/protocol"
)

// Engine is what the window needs of the client engine; *client.Engine
// satisfies it. The window holds no client logic of its own: enrolment,
// polling, verification, runs, deferrals and history are the engine's.
type Engine interface {
	Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error)
	Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trustFingerprint string) (Enrollment, error)
	Enrolled() (Enrollment, bool)
	Poll(ctx context.Context) ([]Offer, error)
	Offers() []Offer
	Run(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error)
	// RunIfDue runs a job only if it is still due (ErrNotDue otherwise).
	RunIfDue(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error)
	Defer(ctx context.Context, job string) (left int, err error)
	History(ctx context.Context) ([]HistoryEntry, error)
}

var _ Engine = (*client.Engine)(nil)

// Watcher is an engine that tells what changes as it happens (runs the
// agent starts by itself, polls, deferrals from another window); the
// window then shows them without waiting for its next poll. Both
// *client.Engine and the agent's API client are watchers.
type Watcher interface {
	Watch(ctx context.Context, fn func(Event) error) error
}

var _ Watcher = (*client.Engine)(nil)

// The engine's types, by shorter names.
type (
	Enrollment   = client.Enrollment
	Offer        = client.Offer
	OfferState   = client.OfferState
	Progress     = client.Progress
	Step         = client.Step
	HistoryEntry = client.HistoryEntry
	Event        = client.Event
)

// Offer states and run steps, as the engine names them.
const (
	OfferAvailable = client.OfferAvailable
	OfferDue       = client.OfferDue
	OfferRunning   = client.OfferRunning
	OfferComplete  = client.OfferComplete
	OfferFailed    = client.OfferFailed

	StepDownload = client.StepDownload
	StepVerify   = client.StepVerify
	StepUnpack   = client.StepUnpack
	StepRun      = client.StepRun
)

// Errors the engine wraps, as the window checks them.
var (
	// ErrNoDeferralsLeft: Later is spent.
	ErrNoDeferralsLeft = client.ErrNoDeferralsLeft
	// ErrNotDue: RunIfDue found the job no longer due.
	ErrNotDue = client.ErrNotDue
)
