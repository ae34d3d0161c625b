// Package protocol defines what the Administrator and the clients exchange
// through the site share: site.json, instruction files, status files and
// inventory files; their signing with the site's Ed25519 key; and the share
// layout (see ../../DESIGN.md in shared/). Every format carries a version.
package protocol

import (
	"time"

	"opensms/core/model"
)

// Share layout, relative to the site share root and distribution share root.
const (
	SiteFile        = "site.json"
	InstructionsDir = "instructions" // instructions/<SHARD>/<COMPUTER>.ins, or instructions/<COMPUTER>.ins: see LayoutSharded
	StatusDir       = "status"       // status/<COMPUTER>/<JOBID>.json
	InventoryDir    = "inventory"    // inventory/<COMPUTER>.json
	ArchiveExt      = ".tzst"        // <PKGID>/<SHA256>.tzst on a distribution share
	ShareTreeDir    = "share"        // <PKGID>/share/... for Share Package On Server
)

// Format versions.
const (
	SiteFormat         = "opensms-site/1"
	InstructionsFormat = "opensms-instructions/1"
	StatusFormat       = "opensms-status/1"
	InventoryFormat    = "opensms-inventory/1"
)

// SiteInfo is site.json: who the site is and the key that signs its
// instructions. It is signed by that same key; trust comes from the client
// pinning the key's fingerprint at enrolment.
type SiteInfo struct {
	Format    string    `json:"format"`
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	PublicKey []byte    `json:"public_key"` // ed25519.PublicKey
	Published time.Time `json:"published"`
}

// ServerRef tells a client where an archive can be fetched. Clients use
// their own enrolment credentials; no server password is ever published.
type ServerRef struct {
	Name string `json:"name"`
	URL  string `json:"url"` // canonical location without user
}

// Offer is one job offered to one computer.
type Offer struct {
	Job            string            `json:"job"`
	Package        string            `json:"package"`
	PackageName    string            `json:"package_name"`
	PackageVersion string            `json:"package_version"`
	Comment        string            `json:"comment,omitempty"`
	Command        model.CommandLine `json:"command"`
	OfferAfter     time.Time         `json:"offer_after"`
	MandatoryAfter time.Time         `json:"mandatory_after,omitempty"`
	ExpiresAfter   time.Time         `json:"expires_after,omitempty"`
	// NotMandatoryOverSlowLinks: a client on a slow link treats the offer as
	// optional.
	NotMandatoryOverSlowLinks bool        `json:"not_mandatory_over_slow_links,omitempty"`
	Deferrals                 int         `json:"deferrals"`
	Archive                   string      `json:"archive"` // hex sha256
	ArchiveSize               int64       `json:"archive_size"`
	Servers                   []ServerRef `json:"servers"`
	// Generation changes when the administrator offers the job again (a
	// repeat or a re-run), so a client that ran it knows to run it again.
	Generation int `json:"generation"`
	// Detection and DetectionLogic are the package's detection rules: the
	// client checks them before running (they hold: already installed,
	// nothing runs) and after a successful exit code (they do not hold:
	// the run failed). Signed with the rest of the offer.
	Detection      []model.DetectionRule `json:"detection,omitempty"`
	DetectionLogic string                `json:"detection_logic,omitempty"`
}

// Instructions is a computer's instruction file (InstructionsPath) before
// signing.
type Instructions struct {
	Format    string    `json:"format"`
	Site      string    `json:"site"`
	Computer  string    `json:"computer"`
	Generated time.Time `json:"generated"`
	// Sequence only grows from one file for a computer to the next: a
	// client refuses a file numbered below the newest it accepted, so an
	// old file put back on the share (a replay) brings nothing back.
	Sequence uint64 `json:"sequence,omitempty"`
	// ValidUntil is when a client stops trusting the file; the watchdog
	// signs it again well before, so only a file nobody re-signs (an old
	// copy, or a site whose watchdog stopped) runs out.
	ValidUntil time.Time `json:"valid_until,omitzero"`
	Offers     []Offer   `json:"offers"`
}

// Status is status/<COMPUTER>/<JOBID>.json, written by the client and
// signed with the computer's own key.
type Status struct {
	Format     string            `json:"format"`
	Job        string            `json:"job"`
	Computer   string            `json:"computer"`
	Generation int               `json:"generation"`
	State      model.TargetState `json:"state"`
	ExitCode   *int              `json:"exit_code,omitempty"`
	Reboot     model.Reboot      `json:"reboot,omitempty"`
	Attempts   int               `json:"attempts"`
	Started    time.Time         `json:"started,omitempty"`
	Finished   time.Time         `json:"finished,omitempty"`
	OutputTail string            `json:"output_tail,omitempty"`
	Error      string            `json:"error,omitempty"`
	// AlreadyInstalled: the package's detection rules held before the
	// run, so nothing ran (State is complete, ExitCode absent).
	AlreadyInstalled bool      `json:"already_installed,omitempty"`
	Written          time.Time `json:"written"`
}

// Inventory is inventory/<COMPUTER>.json, written by the client and
// signed with the computer's own key, whose public half it carries: the
// site registers that key the first time it sees the computer, and takes
// status and inventory from it only under that key.
type Inventory struct {
	Format string `json:"format"`
	model.Inventory
	PublicKey []byte `json:"public_key"` // ed25519.PublicKey
}
