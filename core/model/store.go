package model

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"
)

// Errors every store returns (wrapped, with what was looked for).
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrInUse    = errors.New("in use") // e.g. deleting a package a job still names
	// ErrUnavailable says something needed is not there to answer: a share
	// that refuses or does not answer, a store another process holds, a
	// site service that stopped. Trying again later may work.
	ErrUnavailable = errors.New("unavailable")
)

// PackageStore keeps packages. CreatePackage assigns the ID (site code of the
// store's home site + 5 chars from a sequence) and returns the stored value.
type PackageStore interface {
	CreatePackage(ctx context.Context, p Package) (Package, error)
	UpdatePackage(ctx context.Context, p Package) error
	GetPackage(ctx context.Context, id string) (Package, error)
	ListPackages(ctx context.Context) ([]Package, error)
	DeletePackage(ctx context.Context, id string) error
}

// SiteStore keeps sites, their distribution servers, computers and machine
// groups. Secrets in Credentials are stored encrypted, apart from the
// records, and returned filled in.
type SiteStore interface {
	PutSite(ctx context.Context, s Site) error
	// CreateSite is PutSite that refuses, with ErrExists, a code already
	// stored: the check and the write are one transaction.
	CreateSite(ctx context.Context, s Site) error
	GetSite(ctx context.Context, code string) (Site, error)
	ListSites(ctx context.Context) ([]Site, error)
	DeleteSite(ctx context.Context, code string) error

	PutServer(ctx context.Context, s Server) error
	// CreateServer is PutServer that refuses, with ErrExists, a name the
	// site already has.
	CreateServer(ctx context.Context, s Server) error
	GetServer(ctx context.Context, site, name string) (Server, error)
	ListServers(ctx context.Context, site string) ([]Server, error) // site "" = all
	// DeleteServer refuses, with ErrInUse naming the jobs, a server that a
	// job which has not finished is distributing to.
	DeleteServer(ctx context.Context, site, name string) error

	// PutComputers adds or replaces computers in one transaction batch.
	PutComputers(ctx context.Context, cs ...Computer) error
	// AddComputers is PutComputers that refuses, with ErrExists, a name
	// already stored; then it stores none of them.
	AddComputers(ctx context.Context, cs ...Computer) error
	GetComputer(ctx context.Context, name string) (Computer, error)
	ListComputers(ctx context.Context, site string) ([]Computer, error) // site "" = all
	CountComputers(ctx context.Context, site string) (int, error)
	DeleteComputer(ctx context.Context, name string) error

	PutGroup(ctx context.Context, g MachineGroup) error
	// CreateGroup is PutGroup that refuses, with ErrExists, a name already
	// stored (in any case).
	CreateGroup(ctx context.Context, g MachineGroup) error
	// RenameGroup stores g in place of the group named old, in one
	// transaction: ErrExists when g's name is another group's, ErrInUse
	// naming the jobs when a job that has not finished names old.
	RenameGroup(ctx context.Context, old string, g MachineGroup) error
	GetGroup(ctx context.Context, name string) (MachineGroup, error)
	ListGroups(ctx context.Context) ([]MachineGroup, error)
	// DeleteGroup refuses, with ErrInUse naming the jobs, a group that a job
	// which has not finished targets or distributes to.
	DeleteGroup(ctx context.Context, name string) error
}

// JobStore keeps jobs and their per-computer status.
type JobStore interface {
	// CreateJob assigns the ID and stores the job as given (normally Pending).
	CreateJob(ctx context.Context, j Job) (Job, error)
	UpdateJob(ctx context.Context, j Job) error
	GetJob(ctx context.Context, id string) (Job, error)
	ListJobs(ctx context.Context) ([]Job, error)
	// DeleteJob removes a job and its target statuses.
	DeleteJob(ctx context.Context, id string) error

	PutTargetStatuses(ctx context.Context, ts ...TargetStatus) error
	ListTargetStatuses(ctx context.Context, job string) ([]TargetStatus, error)
}

// EventFilter selects events; empty fields match everything.
type EventFilter struct {
	Job      string
	Computer string
	Severity Severity
	Since    time.Time
	Limit    int // newest first; 0 = all
}

// EventLog is the append-only log.
type EventLog interface {
	AppendEvent(ctx context.Context, e Event) (Event, error) // assigns ID and Time if zero
	ListEvents(ctx context.Context, f EventFilter) ([]Event, error)
}

// ArchiveStore remembers the archives the Send phase made, and which
// distribution servers hold which archive.
type ArchiveStore interface {
	PutArchive(ctx context.Context, a Archive) error
	// LatestArchive returns the newest archive made for the package.
	LatestArchive(ctx context.Context, pkg string) (Archive, error)
	ListArchives(ctx context.Context, pkg string) ([]Archive, error)
	DeleteArchive(ctx context.Context, pkg, sha256 string) error
	// SetHolding records that server (site/name) holds the archive (or, with
	// held=false, no longer does).
	SetHolding(ctx context.Context, pkg, sha256, site, server string, held bool) error
	// Holdings lists "site/name" of the servers that hold the archive.
	Holdings(ctx context.Context, pkg, sha256 string) ([]string, error)
}

// KeyStore holds the sites' signing keys.
type KeyStore interface {
	// SiteKey returns the site's Ed25519 key, creating it on first use.
	SiteKey(ctx context.Context, site string) (ed25519.PrivateKey, error)
}

// Store is everything the Administrator and the watchdog keep.
type Store interface {
	PackageStore
	SiteStore
	JobStore
	EventLog
	ArchiveStore
	KeyStore
	// HomeSite is the site code IDs are made from (the first site added).
	HomeSite(ctx context.Context) (string, error)
	// Dir is the data directory (archives live under Dir()/archives).
	Dir() string
	Close() error
}
