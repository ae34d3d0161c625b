package watchdog

import (
	"time"

	"opensms/core/model"
)

// UpdateKind says what an Update is about.
type UpdateKind string

// Update kinds.
const (
	UpdateJob      UpdateKind = "job"      // a job's status changed; Job is set
	UpdateTransfer UpdateKind = "transfer" // a push made progress; Transfer is set
	UpdateEvent    UpdateKind = "event"    // an event was logged; Event is set
	UpdateCycle    UpdateKind = "cycle"    // a cycle started or ended; Cycle is set

	// What an Administrator changed in the store (Record is set), so that
	// every open window shows what another window or smsctl did.
	UpdatePackage  UpdateKind = "package"  // Record.ID is the package ID
	UpdateSite     UpdateKind = "site"     // Record.ID is the site code
	UpdateServer   UpdateKind = "server"   // Record.ID is SITE/name
	UpdateComputer UpdateKind = "computer" // Record.ID is the computer name
	UpdateGroup    UpdateKind = "group"    // Record.ID is the group name
)

// Record names a stored record that was added, changed or deleted. It
// carries no values: a window reads the record (or its list) again through
// the API, which is the truth and never shows a password.
type Record struct {
	ID string `json:"id"`
	// Previous is the old name of a renamed group.
	Previous string `json:"previous,omitempty"`
	Deleted  bool   `json:"deleted,omitempty"`
}

// Transfer is one archive on its way to one distribution server.
type Transfer struct {
	Job        string `json:"job"`
	Package    string `json:"package"`
	Server     string `json:"server"` // site/name
	BytesDone  int64  `json:"bytes_done"`
	BytesTotal int64  `json:"bytes_total"`
	Done       bool   `json:"done"`
	// Resumed counts bytes an earlier, interrupted push had already put on
	// the server; Written the bytes this push wrote (0 when the server
	// already held the archive). Both are set when Done.
	Resumed int64     `json:"resumed,omitempty"`
	Written int64     `json:"written,omitempty"`
	Err     string    `json:"err,omitempty"`
	Started time.Time `json:"started,omitzero"`
}

// Cycle describes a watchdog cycle.
type Cycle struct {
	Started  time.Time     `json:"started,omitzero"`
	Duration time.Duration `json:"duration"`      // zero while running
	Next     time.Time     `json:"next,omitzero"` // when the next cycle is due
	Err      string        `json:"err,omitempty"`
}

// Update is what subscribers receive. Subscribers that fall behind lose
// updates rather than slow the watchdog; the store remains the truth.
type Update struct {
	Kind     UpdateKind   `json:"kind"`
	Job      *model.Job   `json:"job,omitempty"`
	Transfer *Transfer    `json:"transfer,omitempty"`
	Event    *model.Event `json:"event,omitempty"`
	Cycle    *Cycle       `json:"cycle,omitempty"`
	Record   *Record      `json:"record,omitempty"`
}
