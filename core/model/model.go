package model

import "time"

// Platform names an operating system and architecture as GOOS/GOARCH.
type Platform string

// Platforms a command line may name. Order is the order shown to users.
var Platforms = []Platform{
	"windows/amd64", "windows/arm64", "windows/386",
	"linux/amd64", "linux/arm64", "linux/386",
	"darwin/arm64", "darwin/amd64",
}

// Default exit-code meanings, as Windows Installer defined them.
const (
	DefaultSoftRebootCode = 3010 // ERROR_SUCCESS_REBOOT_REQUIRED
	DefaultHardRebootCode = 1641 // ERROR_SUCCESS_REBOOT_INITIATED
)

// CommandLine is one way to run a package, shown by name in the client's PCM.
type CommandLine struct {
	Name      string     `json:"name"`    // unique in its package
	Command   string     `json:"command"` // run from the package root
	Platforms []Platform `json:"platforms"`
	// AnyPlatform means the command runs on every computer, whatever its
	// platform (SMS 2.0's program without SupportedClients); Platforms is
	// then empty. Ask RunsOn rather than reading either field.
	AnyPlatform bool `json:"any_platform,omitempty"`
	// Automated means the command needs no user input; only automated
	// command lines run unattended (headless agent, mandatory time).
	Automated bool `json:"automated"`
	// Background is SMS's "system background task": may run with nobody
	// logged on.
	Background bool `json:"background"`
	// Removes marks a command line that uninstalls the package: the client
	// runs it whatever the detection rules say, and after a success code
	// the rules must no longer hold (an uninstaller that leaves the package
	// installed failed).
	Removes         bool          `json:"removes,omitempty"`
	SuccessCodes    []int         `json:"success_codes"`     // default [0]
	SoftRebootCodes []int         `json:"soft_reboot_codes"` // default [3010]
	HardRebootCodes []int         `json:"hard_reboot_codes"` // default [1641]
	Timeout         time.Duration `json:"timeout"`           // 0 = none
}

// Sharing holds how a package is shared on distribution servers by a
// Share Package On Server job.
type Sharing struct {
	ShareName string `json:"share_name"`
	Subfolder string `json:"subfolder"`
	Access    string `json:"access"` // free text, e.g. "UserRead,GuestRead"
}

// RuleKind is what a detection rule checks.
type RuleKind string

// Detection rule kinds.
const (
	RuleFileExists RuleKind = "file-exists"
	RuleFileSize   RuleKind = "size"
	RuleSHA256     RuleKind = "sha256"
	RuleVersion    RuleKind = "version"
	// RuleRegistry checks a registry value (Windows only).
	RuleRegistry RuleKind = "registry"
	// RuleMSI checks that Windows Installer has a product installed
	// (Windows only).
	RuleMSI RuleKind = "msi"
)

// DetectionRule tells whether a package is already installed on a computer.
// File rules use Path and Value; registry rules Key, ValueName, Value and
// View; MSI rules ProductCode. A kind a computer cannot check (a registry
// rule on Linux) is "not applicable" there, never "installed".
type DetectionRule struct {
	Kind RuleKind `json:"kind"`
	Path string   `json:"path,omitempty"` // file rules
	// Value is the size in bytes, hex SHA-256 or version of a file rule, or
	// the data a registry value must hold (empty: the value must exist).
	Value string `json:"value,omitempty"`
	// Key is a registry rule's key with its hive, e.g.
	// HKLM\Software\Vendor\App (see ParseRegistryKey).
	Key string `json:"key,omitempty"`
	// ValueName is a registry rule's value; empty is the key's default value.
	ValueName string `json:"value_name,omitempty"`
	// View is the registry a rule reads on 64-bit Windows: the 64-bit one,
	// or the 32-bit one 32-bit programs see (WOW6432Node).
	View RegistryView `json:"view,omitempty"`
	// ProductCode is an MSI rule's product code, {GUID} in upper case.
	ProductCode string `json:"product_code,omitempty"`
}

// Package is a source folder plus the command lines that install it.
type Package struct {
	ID        string `json:"id"` // site code + 5 chars, e.g. S0100012
	Name      string `json:"name"`
	Version   string `json:"version"`
	Publisher string `json:"publisher,omitempty"`
	Comment   string `json:"comment,omitempty"`
	Source    string `json:"source"` // local path or UNC/smb:// location
	// SourceCredentials log on to a Source on a share; the store keeps the
	// password apart from the record, as it does a server's.
	SourceCredentials Credentials     `json:"source_credentials,omitzero"`
	Commands          []CommandLine   `json:"commands"`
	Sharing           Sharing         `json:"sharing"`
	Detection         []DetectionRule `json:"detection,omitempty"`
	// DetectionLogic combines the rules by number, e.g. "1 AND (2 OR 3)"
	// (see ParseDetectionLogic); empty means every rule must hold.
	DetectionLogic string    `json:"detection_logic,omitempty"`
	Created        time.Time `json:"created,omitzero"`
	Updated        time.Time `json:"updated,omitzero"`
}

// Command returns the command line with the given name.
func (p *Package) Command(name string) (CommandLine, bool) {
	for _, c := range p.Commands {
		if c.Name == name {
			return c, true
		}
	}
	return CommandLine{}, false
}

// Credentials authenticate to an SMB share. The password never prints.
type Credentials struct {
	Domain   string `json:"domain,omitempty"`
	User     string `json:"user,omitempty"`
	Password Secret `json:"password,omitempty"`
}

// Site is one SMS site: a code, a name, a place in the hierarchy and the
// share where instructions, status and inventory live.
type Site struct {
	Code        string      `json:"code"` // 3 letters or digits
	Name        string      `json:"name"`
	Parent      string      `json:"parent,omitempty"`
	Share       string      `json:"share"` // canonical location, see ParseLocation
	Credentials Credentials `json:"credentials"`
	Created     time.Time   `json:"created,omitzero"`
}

// Server is a distribution server: an SMB share (or a local folder for
// development) that holds compressed packages.
type Server struct {
	Site        string      `json:"site"`
	Name        string      `json:"name"` // unique in its site
	URL         string      `json:"url"`  // canonical location, see ParseLocation
	Credentials Credentials `json:"credentials"`
	// Default marks SMS's "Default Servers": where jobs put packages unless
	// told otherwise.
	Default           bool `json:"default"`
	RequireSigning    bool `json:"require_signing,omitempty"`
	RequireEncryption bool `json:"require_encryption,omitempty"`
}

// Computer is a client computer, known by name in its site.
type Computer struct {
	Name      string     `json:"name"`
	Site      string     `json:"site"`
	Platform  Platform   `json:"platform"`
	LastSeen  time.Time  `json:"last_seen,omitzero"`
	Inventory *Inventory `json:"inventory,omitempty"`
	// PublicKey is the computer's own key (ed25519.PublicKey), registered
	// the first time its client reported (trust on first use): the site
	// takes its status and inventory only when signed by it.
	PublicKey []byte `json:"public_key,omitempty"`
	// AwaitingApproval: the computer reported itself without the
	// administrator having added it; it gets no offers until approved.
	AwaitingApproval bool `json:"awaiting_approval,omitempty"`
}

// Inventory is what a client reports about itself.
type Inventory struct {
	Computer      string    `json:"computer"`
	Site          string    `json:"site"`
	OS            string    `json:"os"`
	Arch          string    `json:"arch"`
	OSVersion     string    `json:"os_version"`
	ClientVersion string    `json:"client_version"`
	FreeDisk      uint64    `json:"free_disk"` // bytes free in the client's cache
	Time          time.Time `json:"time,omitzero"`

	// What follows came with inventory worth querying (issue 16); every
	// field is optional, so an older client's file still reads.

	// OSName is the system's own name for itself (Linux: os-release ID,
	// e.g. "debian"; Windows: the product name); OSRelease its version
	// number ("12.5", "10.0.22631").
	OSName    string `json:"os_name,omitempty"`
	OSRelease string `json:"os_release,omitempty"`
	Kernel    string `json:"kernel,omitempty"`
	CPUModel  string `json:"cpu_model,omitempty"`
	CPUs      int    `json:"cpus,omitempty"`   // logical processors
	Memory    uint64 `json:"memory,omitempty"` // bytes of RAM
	Disks     []Disk `json:"disks,omitempty"`
	// Addresses are the network addresses of the interfaces that are up,
	// loopback left out, as CIDR ("192.0.2.7/24").
	Addresses []string  `json:"addresses,omitempty"`
	Booted    time.Time `json:"booted,omitzero"`
	// Users are the people logged on now, each once.
	Users    []string   `json:"users,omitempty"`
	Software []Software `json:"software,omitempty"`
	// Installed are the IDs of the packages whose detection rules hold on
	// the computer (the site publishes every package's rules), offered to
	// it or not.
	Installed []string `json:"installed,omitempty"`
	// InstructionsLayout is the newest layout of instruction files on the
	// site share that the client reads (protocol.LayoutSharded); 0 from a
	// client that reads only instructions/<COMPUTER>.ins, which the
	// watchdog then keeps writing for it.
	InstructionsLayout int `json:"instructions_layout,omitempty"`
}

// Disk is one mounted file system of a computer.
type Disk struct {
	Path   string `json:"path"` // mount point or drive ("C:")
	FSType string `json:"fs_type,omitempty"`
	Size   uint64 `json:"size"` // bytes
	Free   uint64 `json:"free"` // bytes free to users
}

// Software is one installed program, as the computer's package manager
// (Linux), uninstall keys (Windows) or applications (macOS) list it.
//
// The expr tags name the fields in machine group queries (core/query).
type Software struct {
	Name      string `json:"name" expr:"name"`
	Version   string `json:"version,omitempty" expr:"version"`
	Publisher string `json:"publisher,omitempty" expr:"publisher"`
}

// MachineGroup is a named, static set of computers (or of server names when
// a job's Distribute phase names a group of servers).
//
// A group with a Query is a query group: its members are the computers
// whose inventory makes the query true, re-evaluated by the watchdog each
// cycle (Members then holds the current ones and Joined when each joined);
// nobody adds or removes them by hand.
type MachineGroup struct {
	Name    string   `json:"name"`
	Comment string   `json:"comment,omitempty"`
	Members []string `json:"members"`
	// Query is a boolean expression over a computer's inventory (see
	// core/query for the names it may use); empty for a static group.
	Query string `json:"query,omitempty"`
	// Joined holds, for each current member of a query group, when it
	// began to match.
	Joined map[string]time.Time `json:"joined,omitempty"`
}

// Severity ranks an event.
type Severity string

// Event severities.
const (
	SevInfo    Severity = "info"
	SevWarning Severity = "warning"
	SevError   Severity = "error"
)

// Event is one line of the append-only log of what happened.
type Event struct {
	ID       uint64    `json:"id"`
	Time     time.Time `json:"time,omitzero"`
	Severity Severity  `json:"severity"`
	Job      string    `json:"job,omitempty"`
	Package  string    `json:"package,omitempty"`
	Computer string    `json:"computer,omitempty"`
	Server   string    `json:"server,omitempty"`
	Site     string    `json:"site,omitempty"`
	Message  string    `json:"message"`
}

// Archive records one compressed package made by the Send phase.
type Archive struct {
	Package string `json:"package"`
	SHA256  string `json:"sha256"` // hex; the archive's file name is <SHA256>.tzst
	Size    int64  `json:"size"`
	// SourceDigest summarises the source tree (paths, sizes, modes, times)
	// so that an if-not-sent job can tell the source is unchanged without
	// reading every byte.
	SourceDigest string    `json:"source_digest"`
	Files        int       `json:"files"`
	SourceBytes  int64     `json:"source_bytes"`
	Path         string    `json:"path"` // where the Administrator keeps it
	Created      time.Time `json:"created,omitzero"`
}
