package admin

import (
	"context"
	"fmt"
	"io"
	"time"

	"opensms/core/model"
	"opensms/core/watchdog"
)

// API is every use case of the Administrator. Requests and responses are
// plain data (JSON as they stand); every method takes ctx first and fails
// with an *Error. Local is the in-process implementation.
type API interface {
	// Sites.
	ListSites(ctx context.Context) ([]model.Site, error)
	// GetSite returns a site with its servers and how many computers it has.
	GetSite(ctx context.Context, code string) (SiteDetail, error)
	AddSite(ctx context.Context, r SiteRequest) (model.Site, error)
	// UpdateSite changes the site r.Code; see SiteRequest for the password.
	UpdateSite(ctx context.Context, r SiteRequest) (model.Site, error)
	// DeleteSite refuses a site that still has sub-sites, servers or
	// computers.
	DeleteSite(ctx context.Context, code string) error

	// Distribution servers.
	ListServers(ctx context.Context, site string) ([]model.Server, error) // site "" = all
	AddServer(ctx context.Context, r ServerRequest) (model.Server, error)
	UpdateServer(ctx context.Context, r ServerRequest) (model.Server, error)
	// DeleteServer refuses a server that a job which has not finished uses,
	// naming the jobs.
	DeleteServer(ctx context.Context, site, name string) error
	// TestServer connects to the share r describes (stored or not), lists
	// it and writes and removes a small file; it returns one sentence.
	TestServer(ctx context.Context, r ServerRequest) (string, error)

	// Computers.
	ListComputers(ctx context.Context, site string) ([]model.Computer, error) // site "" = all
	GetComputer(ctx context.Context, name string) (model.Computer, error)
	AddComputer(ctx context.Context, r ComputerRequest) (model.Computer, error)
	UpdateComputer(ctx context.Context, r ComputerRequest) (model.Computer, error)
	DeleteComputer(ctx context.Context, name string) error
	// ApproveComputer lets a computer that joined by itself (its client
	// reported to the site share without an administrator adding it)
	// receive offers, under the key it registered.
	ApproveComputer(ctx context.Context, name string) (model.Computer, error)

	// Machine groups. Members are computers or distribution servers, and
	// must exist.
	ListGroups(ctx context.Context) ([]model.MachineGroup, error)
	GetGroup(ctx context.Context, name string) (model.MachineGroup, error)
	AddGroup(ctx context.Context, r GroupRequest) (model.MachineGroup, error)
	// UpdateGroup replaces the group r.OldName (or r.Name) with r; a new
	// name renames it.
	UpdateGroup(ctx context.Context, r GroupRequest) (model.MachineGroup, error)
	AddMembers(ctx context.Context, group string, members []string) (model.MachineGroup, error)
	RemoveMembers(ctx context.Context, group string, members []string) (model.MachineGroup, error)
	// DeleteGroup refuses a group that a job which has not finished targets
	// or distributes to, naming the jobs.
	DeleteGroup(ctx context.Context, name string) error
	// PreviewGroup evaluates a machine group query on the computers as
	// they stand and returns those it matches, without storing anything; a
	// query that does not compile is refused with the library's message
	// and position.
	PreviewGroup(ctx context.Context, query string) (GroupPreview, error)

	// Packages.
	ListPackages(ctx context.Context) ([]model.Package, error)
	GetPackage(ctx context.Context, id string) (model.Package, error)
	// AddPackage stores a new package and returns it with its ID.
	AddPackage(ctx context.Context, p model.Package) (model.Package, error)
	// UpdatePackage replaces the package p.ID, keeping its Created time.
	UpdatePackage(ctx context.Context, p model.Package) (model.Package, error)
	AddCommand(ctx context.Context, pkg string, c model.CommandLine) (model.Package, error)
	RemoveCommand(ctx context.Context, pkg, name string) (model.Package, error)
	// AddDetectionRule appends a detection rule to package pkg; when the
	// package's rules are combined by a written expression, the new rule is
	// ANDed to it.
	AddDetectionRule(ctx context.Context, pkg string, r model.DetectionRule) (model.Package, error)
	// RemoveDetectionRule removes rule n (1 is the first) and takes it out
	// of the package's expression, renumbering the rules after it.
	RemoveDetectionRule(ctx context.Context, pkg string, n int) (model.Package, error)
	// SetDetectionLogic sets how the rules combine, e.g. "1 AND (2 OR 3)";
	// "" means every rule must hold.
	SetDetectionLogic(ctx context.Context, pkg, logic string) (model.Package, error)
	// DeletePackage refuses a package that a job which has not finished
	// uses, naming the job.
	DeletePackage(ctx context.Context, id string) error
	// CheckSource checks a package source as AddPackage would (a share is
	// connected to with r's login) and stores nothing; it returns one
	// sentence, or the sentence AddPackage would refuse it with.
	CheckSource(ctx context.Context, r SourceRequest) (string, error)
	// ReadDefinition parses a Package Definition File and returns the
	// package it describes, not stored, with what the import could not keep.
	ReadDefinition(ctx context.Context, r DefinitionRequest) (Definition, error)
	// ImportDefinition parses a Package Definition File and stores the
	// package, with r.Source as its source folder.
	ImportDefinition(ctx context.Context, r ImportRequest) (Definition, error)

	// Jobs.
	ListJobs(ctx context.Context) ([]model.Job, error) // newest first
	// GetJob returns a job with the status of each of its computers.
	GetJob(ctx context.Context, id string) (JobStatus, error)
	// AddJob stores a new job Pending and wakes the watchdog; Warnings say
	// what the job will leave out (a group member that is not a computer, a
	// target with no computer of the command line's platforms, …).
	AddJob(ctx context.Context, j model.Job) (JobCreated, error)
	// UpdateJob changes a job that is still Pending.
	UpdateJob(ctx context.Context, j model.Job) (model.Job, error)
	// CancelJob cancels a job that has not finished.
	CancelJob(ctx context.Context, id string) error
	// DeleteJob deletes a job that is Pending or has finished.
	DeleteJob(ctx context.Context, id string) error
	// RerunJob offers a Run Command job again, under a new generation, to
	// the computers r chooses; a finished job becomes Active again and the
	// event log says who asked.
	RerunJob(ctx context.Context, r RerunRequest) (Rerun, error)

	// SiteKey returns the fingerprint of a site's signing key (site "" =
	// the home site), making the key on first use.
	SiteKey(ctx context.Context, site string) (SiteKey, error)
	// ListEvents returns events, newest first.
	ListEvents(ctx context.Context, f EventFilter) ([]model.Event, error)

	// The watchdog.
	// RunCycle runs one watchdog cycle now (after the one in progress) and
	// waits for it; the result holds the events it logged.
	RunCycle(ctx context.Context) (CycleResult, error)
	// Watchdog says whether the watchdog runs, when its next cycle is due
	// and which pushes are in flight.
	Watchdog(ctx context.Context) (WatchdogState, error)
	// Watch streams changes (jobs, transfers, events, cycles, and the
	// packages, sites, servers, computers and groups any caller added,
	// changed or deleted) until ctx ends; then the channel closes. A reader that falls behind loses
	// changes, never slows the watchdog: the lists remain the truth.
	Watch(ctx context.Context) (<-chan Change, error)

	// BackupStore writes the whole store (its key and every record, the
	// site keys and secrets among them) to w as one stream, while the site
	// runs; the caller seals it before it leaves the computer (smsctl
	// backup). Only the service's own user reaches it over the socket.
	BackupStore(ctx context.Context, w io.Writer) error
}

// Password is a password on its way to the API. It prints masked, but
// crosses a wire as the plain string it is (model.Secret would mask it).
type Password string

// String masks the password: fmt never prints it.
func (p Password) String() string {
	if p == "" {
		return ""
	}
	return "********"
}

// GoString masks the password for %#v.
func (p Password) GoString() string { return fmt.Sprintf("admin.Password(%q)", p.String()) }

// Credentials are a share's login as typed: User may be "DOMAIN\user", and
// when it is empty the share URL's user@ is taken.
type Credentials struct {
	User     string   `json:"user,omitempty"`
	Domain   string   `json:"domain,omitempty"`
	Password Password `json:"password,omitempty"`
	// KeepPassword keeps the stored password when Password is empty (an
	// edit that did not touch it); without it an empty Password clears it.
	KeepPassword bool `json:"keep_password,omitempty"`
}

// SiteRequest adds or changes a site. Share is as typed: \\host\share\dir,
// smb://[domain;]user@host[:port]/share/dir, file:///dir or an absolute
// folder.
type SiteRequest struct {
	Code        string      `json:"code"`
	Name        string      `json:"name"`
	Parent      string      `json:"parent,omitempty"`
	Share       string      `json:"share"`
	Credentials Credentials `json:"credentials"`
}

// SiteDetail is a site with its distribution servers and computer count.
type SiteDetail struct {
	Site      model.Site     `json:"site"`
	Servers   []model.Server `json:"servers"`
	Computers int            `json:"computers"`
}

// ServerRequest adds, changes or tests a distribution server. URL is as
// typed, like SiteRequest.Share.
type ServerRequest struct {
	Site              string      `json:"site"`
	Name              string      `json:"name"`
	URL               string      `json:"url"`
	Credentials       Credentials `json:"credentials"`
	Default           bool        `json:"default,omitempty"`
	RequireSigning    bool        `json:"require_signing,omitempty"`
	RequireEncryption bool        `json:"require_encryption,omitempty"`
}

// ComputerRequest adds or changes a computer. Platform "" is unknown.
type ComputerRequest struct {
	Name     string         `json:"name"`
	Site     string         `json:"site"`
	Platform model.Platform `json:"platform,omitempty"`
}

// GroupRequest adds or changes a machine group. OldName, on an update,
// names the group to change when the name changes.
//
// Query, when given, makes a query group: its members are the computers
// whose inventory makes the query true, kept up to date by the watchdog,
// so Members must then be empty.
type GroupRequest struct {
	OldName string   `json:"old_name,omitempty"`
	Name    string   `json:"name"`
	Comment string   `json:"comment,omitempty"`
	Members []string `json:"members"`
	Query   string   `json:"query,omitempty"`
}

// GroupPreview is what a query would make a group's members now.
type GroupPreview struct {
	Members   []string `json:"members"`
	Computers int      `json:"computers"` // how many computers were looked at
}

// SourceRequest is a package source as typed, with its login. Package
// names the package it would replace ("" for a new one), whose stored
// password Credentials.KeepPassword keeps.
type SourceRequest struct {
	Package     string      `json:"package,omitempty"`
	Source      string      `json:"source"`
	Credentials Credentials `json:"credentials"`
}

// DefinitionRequest is a Package Definition File: its name (for sentences)
// and its bytes.
type DefinitionRequest struct {
	Name string `json:"name"`
	Data []byte `json:"data"`
}

// ImportRequest stores the package a Package Definition File describes.
// Command lines that name no platform that exists today get Platforms (or
// any platform with AnyPlatform), are left out with DropUnmapped, or make
// the import fail naming them. A program the file gives no platforms at
// all already runs on any platform (SMS 2.0's rule).
type ImportRequest struct {
	DefinitionRequest
	Source string `json:"source"`
	// SourceCredentials log on to a Source on a share.
	SourceCredentials Credentials      `json:"source_credentials,omitzero"`
	Platforms         []model.Platform `json:"platforms,omitempty"`
	AnyPlatform       bool             `json:"any_platform,omitempty"`
	DropUnmapped      bool             `json:"drop_unmapped,omitempty"`
}

// Definition is a package read from a Package Definition File (with its ID
// once stored) and what the import could not keep.
type Definition struct {
	Package  model.Package `json:"package"`
	Warnings []string      `json:"warnings,omitempty"`
}

// JobStatus is a job and the status of each of its computers, by name.
type JobStatus struct {
	Job       model.Job            `json:"job"`
	Computers []model.TargetStatus `json:"computers"`
}

// JobCreated is a new job and what it will leave out.
type JobCreated struct {
	Job      model.Job `json:"job"`
	Warnings []string  `json:"warnings,omitempty"`
}

// SiteKey is the public half of a site's signing key; clients pin the
// fingerprint at enrolment.
type SiteKey struct {
	Site        string `json:"site"`
	Fingerprint string `json:"fingerprint"`
	PublicKey   []byte `json:"public_key"` // Ed25519, base64 in JSON
}

// EventFilter selects events; empty fields match everything.
type EventFilter struct {
	Job      string         `json:"job,omitempty"`
	Computer string         `json:"computer,omitempty"`
	Severity model.Severity `json:"severity,omitempty"`
	Since    time.Time      `json:"since,omitzero"`
	Limit    int            `json:"limit,omitempty"` // newest first; 0 = all
}

// CycleResult is what one watchdog cycle did: the events it logged, in
// order, and Err when it could not finish its work.
type CycleResult struct {
	Events []model.Event `json:"events"`
	Err    string        `json:"err,omitempty"`
}

// WatchdogState is the watchdog as the status bar shows it.
type WatchdogState struct {
	Running   bool                `json:"running"`
	NextCycle time.Time           `json:"next_cycle,omitzero"`
	Transfers []watchdog.Transfer `json:"transfers"`
}

// Change is one item of the Watch stream: a job's new status, a push's
// progress, an event, a cycle starting or ending, or a record an
// Administrator changed. It is one line of
// newline-delimited JSON on a wire.
type Change = watchdog.Update
