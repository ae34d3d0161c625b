package pcm

import (
	"context"
	"time"

	"opensms/core/model"
	"opensms/core/protocol"
)

// Engine is what the window needs of the client engine. *client.Engine
// (core/client) satisfies it; the window holds no client logic of its own.
type Engine interface {
	Probe(ctx context.Context, siteShare string, cred model.Credentials) (protocol.SiteInfo, string, error)
	Enroll(ctx context.Context, siteShare string, cred model.Credentials, computer, trustFingerprint string) (Enrollment, error)
	Enrolled() (Enrollment, bool)
	Poll(ctx context.Context) ([]Offer, error)
	Offers() []Offer
	Run(ctx context.Context, job string, progress func(Progress)) (HistoryEntry, error)
	Defer(ctx context.Context, job string) (left int, err error)
	History(ctx context.Context) ([]HistoryEntry, error)
}

// Stand-ins for the engine's types until core/client lands.
type (
	// Enrollment stand-in.
	Enrollment struct {
		SiteShare          string
		SiteCode, SiteName string
		Fingerprint        string
		Computer           string
	}
	// OfferState stand-in.
	OfferState string
	// Offer stand-in.
	Offer struct {
		protocol.Offer
		State         OfferState
		Mandatory     bool
		DueAt         time.Time
		DeferralsLeft int
		NeedsInput    bool
		Last          *HistoryEntry
	}
	// Step stand-in.
	Step string
	// Progress stand-in.
	Progress struct {
		Step        Step
		Done, Total int64
		Server      string
		Output      string
	}
	// HistoryEntry stand-in.
	HistoryEntry struct {
		Job, Package, PackageName, Command string
		Generation                         int
		Started, Finished                  time.Time
		State                              model.TargetState
		ExitCode                           *int
		Reboot                             model.Reboot
		OutputTail, Error                  string
	}
)

// Offer states (stand-ins).
const (
	OfferAvailable OfferState = "available"
	OfferDue       OfferState = "due"
	OfferRunning   OfferState = "running"
	OfferComplete  OfferState = "complete"
	OfferFailed    OfferState = "failed"
)

// Run steps (stand-ins).
const (
	StepDownload Step = "download"
	StepVerify   Step = "verify"
	StepUnpack   Step = "unpack"
	StepRun      Step = "run"
)
