package model

import (
	"strings"
	"time"
)

// JobType is what a job does, as SMS 1.2 named them.
type JobType string

// Job types.
const (
	JobRun    JobType = "run"    // Run Command On Workstation
	JobShare  JobType = "share"  // Share Package On Server
	JobRemove JobType = "remove" // Remove Package From Server
)

// TargetKind is what a job is aimed at.
type TargetKind string

// Target kinds.
const (
	TargetSite     TargetKind = "site"
	TargetGroup    TargetKind = "group"
	TargetComputer TargetKind = "computer"
)

// Target names the computers a job is for.
type Target struct {
	Kind     TargetKind `json:"kind"`
	Name     string     `json:"name"`
	Subsites bool       `json:"subsites,omitempty"` // site targets only
}

// SendMode is the Send phase's choice.
type SendMode string

// Send modes.
const (
	SendIfNotSent SendMode = "if-not-sent" // reuse the archive when the source is unchanged
	SendAlways    SendMode = "always"      // recompress every time
)

// Distribute is the Distribute phase.
type Distribute struct {
	// RefreshExisting pushes again to servers that already hold the package.
	RefreshExisting bool `json:"refresh_existing"`
	// ServerGroup, when set, names a machine group whose members are server
	// names; empty means the site's Default Servers.
	ServerGroup string `json:"server_group,omitempty"`
}

// SetServers sets where the Distribute phase puts the package, as a front
// end offers the choice: the sites' Default Servers, or the servers a
// machine group lists, which must then be named.
func (d *Distribute) SetServers(toGroup bool, group string) error {
	group = strings.TrimSpace(group)
	if toGroup && group == "" {
		return invalidf("distribute phase: choose the machine group that lists the servers, or put the package on the Default Servers")
	}
	d.ServerGroup = ""
	if toGroup {
		d.ServerGroup = group
	}
	return nil
}

// DefaultDeferrals is how many times a user may say Later to a mandatory job.
const DefaultDeferrals = 3

// RunPhase is when the client offers and runs the job.
type RunPhase struct {
	Command                   string    `json:"command"` // command line name
	OfferAfter                time.Time `json:"offer_after,omitzero"`
	MandatoryAfter            time.Time `json:"mandatory_after,omitzero"` // zero: never mandatory
	ExpiresAfter              time.Time `json:"expires_after,omitzero"`   // zero: never expires
	NotMandatoryOverSlowLinks bool      `json:"not_mandatory_over_slow_links,omitempty"`
	Deferrals                 int       `json:"deferrals"` // how often the user may say Later
}

// Priority orders jobs that are due at once.
type Priority string

// Priorities, highest first.
const (
	PriorityHigh   Priority = "high"
	PriorityMedium Priority = "medium"
	PriorityLow    Priority = "low"
)

// Rank returns 0 for high, 1 for medium, 2 for low.
func (p Priority) Rank() int {
	switch p {
	case PriorityHigh:
		return 0
	case PriorityLow:
		return 2
	}
	return 1
}

// Repeat makes a new job when one completes.
type Repeat string

// Repeat intervals.
const (
	RepeatNever    Repeat = "never"
	RepeatDaily    Repeat = "daily"
	RepeatWeekly   Repeat = "weekly"
	RepeatBiweekly Repeat = "biweekly"
	RepeatMonthly  Repeat = "monthly"
)

// Schedule is when a job starts.
type Schedule struct {
	StartAfter time.Time `json:"start_after,omitzero"`
	Priority   Priority  `json:"priority"`
	Repeat     Repeat    `json:"repeat"`
}

// JobState is a job's overall state.
type JobState string

// Overall job states. Legal moves:
//
//	Pending  -> Active, Canceled
//	Active   -> Complete, Retrying, Failed, Canceled
//	Retrying -> Active, Complete, Failed, Canceled
//
// Complete, Failed and Canceled are final.
const (
	JobPending  JobState = "pending"
	JobActive   JobState = "active"
	JobComplete JobState = "complete"
	JobRetrying JobState = "retrying"
	JobFailed   JobState = "failed"
	JobCanceled JobState = "canceled"
)

// PhaseState is the state of a sub-status (Sending, Working) or of one
// server's copy.
type PhaseState string

// Phase states.
const (
	PhaseNone     PhaseState = ""
	PhaseActive   PhaseState = "active"
	PhaseComplete PhaseState = "complete"
	PhaseRetrying PhaseState = "retrying"
	PhaseFailed   PhaseState = "failed"
)

// ServerStatus is one distribution server's part of a job.
type ServerStatus struct {
	Server     string     `json:"server"`
	State      PhaseState `json:"state"`
	BytesDone  int64      `json:"bytes_done"`
	BytesTotal int64      `json:"bytes_total"`
	Attempts   int        `json:"attempts"`
	LastError  string     `json:"last_error,omitempty"`
	NextAction time.Time  `json:"next_action,omitzero"`
	Updated    time.Time  `json:"updated,omitzero"`
}

// JobStatus is a job's overall state and sub-statuses. Per-computer status
// is stored apart (TargetStatus) because a job may target 10,000 computers.
type JobStatus struct {
	State         JobState                `json:"state"`
	Sending       PhaseState              `json:"sending"`
	Working       PhaseState              `json:"working"`
	Archive       string                  `json:"archive,omitempty"` // sha256 of the archive sent
	ArchiveSize   int64                   `json:"archive_size,omitempty"`
	Servers       map[string]ServerStatus `json:"servers,omitempty"`
	LastError     string                  `json:"last_error,omitempty"`
	NextAction    time.Time               `json:"next_action,omitzero"`
	Activated     time.Time               `json:"activated,omitzero"`
	Finished      time.Time               `json:"finished,omitzero"`
	Updated       time.Time               `json:"updated,omitzero"`
	TargetsTotal  int                     `json:"targets_total"`
	TargetsDone   int                     `json:"targets_done"` // computers with a final state
	TargetsFailed int                     `json:"targets_failed"`
	// TargetsSucceeded ran the command line and it is installed;
	// TargetsInstalled were complete because it was installed already;
	// TargetsNotApplicable cannot run the command line. Waiting is
	// TargetsTotal - TargetsDone.
	TargetsSucceeded int `json:"targets_succeeded,omitempty"`
	// Reruns counts the times the administrator ran the job again on some
	// computers; a cycle that began before one does not save over it.
	Reruns               int `json:"reruns,omitempty"`
	TargetsInstalled     int `json:"targets_installed,omitempty"`
	TargetsNotApplicable int `json:"targets_not_applicable,omitempty"`
	// Edits counts the administrator's changes to the job while it was
	// Pending; a cycle that loaded it before one does not save over it.
	Edits int `json:"edits,omitempty"`
}

// Job is one package aimed at one target, with its phases and schedule.
type Job struct {
	ID         string     `json:"id"` // site code + 5 chars, e.g. S0100003
	Type       JobType    `json:"type"`
	Package    string     `json:"package"`
	Target     Target     `json:"target"`
	Send       SendMode   `json:"send"`
	Distribute Distribute `json:"distribute"`
	Run        RunPhase   `json:"run"`
	Schedule   Schedule   `json:"schedule"`
	Cancel     bool       `json:"cancel"`
	Comment    string     `json:"comment,omitempty"`
	RepeatOf   string     `json:"repeat_of,omitempty"` // the job this one repeats
	Created    time.Time  `json:"created,omitzero"`
	Status     JobStatus  `json:"status"`
}

// TargetState is one computer's state for one job.
type TargetState string

// Per-computer states.
const (
	TargetNone     TargetState = "none"
	TargetOffered  TargetState = "offered"
	TargetRunning  TargetState = "running"
	TargetComplete TargetState = "complete"
	TargetRetrying TargetState = "retrying"
	TargetFailed   TargetState = "failed"
	// TargetNotApplicable: no platform of the job's command line covers
	// this computer's, so it is not offered the job and not counted failed.
	TargetNotApplicable TargetState = "not-applicable"
)

// Reboot is what a finished command line asks of the computer.
type Reboot string

// Reboot requests.
const (
	RebootNone Reboot = ""
	RebootSoft Reboot = "soft" // exit code 3010: restart when convenient
	RebootHard Reboot = "hard" // exit code 1641: the installer started a restart
)

// TargetStatus is one computer's part of a job.
type TargetStatus struct {
	Job        string      `json:"job"`
	Computer   string      `json:"computer"`
	State      TargetState `json:"state"`
	ExitCode   *int        `json:"exit_code,omitempty"`
	Reboot     Reboot      `json:"reboot,omitempty"`
	Attempts   int         `json:"attempts"`
	LastError  string      `json:"last_error,omitempty"`
	NextAction time.Time   `json:"next_action,omitzero"`
	Updated    time.Time   `json:"updated,omitzero"`
	// OutputTail is the last lines (OutputTailLines) of the command's
	// output when it failed, cleaned of control characters.
	OutputTail string `json:"output_tail,omitempty"`
	// AlreadyInstalled: Complete because the package's detection rules
	// held before anything ran.
	AlreadyInstalled bool `json:"already_installed,omitempty"`
	// Generation is the offer's generation (0 reads as 1): running the job
	// again on this computer raises it, so that its client runs it again
	// and a status file of an earlier generation is not taken for a result.
	Generation int `json:"generation,omitempty"`
	// Joined is when the computer became a target of the job: when the
	// job activated, or later when it joined the job's site or query group.
	Joined time.Time `json:"joined,omitzero"`
}
