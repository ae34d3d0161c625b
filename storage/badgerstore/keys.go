package badgerstore

import (
	"encoding/binary"
	"strings"
)

// Key schema, version 1.
//
// Every key starts with one prefix byte that says what the key holds. The
// rest of the key is made of parts: strings are joined with a 0x00 byte
// (names are validated and never hold one), numbers are 8 bytes BigEndian so
// that keys sort in numeric order. A key whose parts are all fixed-length
// (codes, IDs) still gets the separator, so a prefix scan for "job S0100003"
// can never match "job S01000031".
//
// Every value is one encoding-version byte (storedir.ValueVersion) followed by the
// JSON of the model type named below. Passwords never appear in a record's
// JSON (model.Secret marshals to a mask); they live under their own prefix.
//
// Names in keys are in a canonical form so that lookups ignore case:
// computer names upper case (model.NormalizeComputerName, and so are the
// records), server and group names lower case (foldName; the records keep
// the names as the user wrote them). Site codes and IDs are upper case by
// validation.
const (
	// prefixMeta + name → store-wide facts: keySchema and keyHome below.
	prefixMeta byte = 0x01
	// prefixSequence + name → a Badger sequence lease (Badger's own 8-byte
	// BigEndian format, not versioned): seqPackage, seqJob, seqEvent.
	prefixSequence byte = 0x02

	// prefixPackage + ID → model.Package.
	prefixPackage byte = 0x10
	// prefixSite + code → model.Site, its password masked.
	prefixSite byte = 0x11
	// prefixServer + site 0x00 fold(name) → model.Server, its password masked.
	prefixServer byte = 0x12
	// prefixComputer + site 0x00 NAME → model.Computer. Keyed by site first
	// so that ListComputers(site) and CountComputers(site) read only that
	// site's range.
	prefixComputer byte = 0x13
	// prefixComputerSite + NAME → the computer's site code (a JSON string):
	// the index GetComputer and a computer's move between sites go through.
	prefixComputerSite byte = 0x14
	// prefixGroup + fold(name) → model.MachineGroup.
	prefixGroup byte = 0x15
	// prefixJob + ID → model.Job with its overall status.
	prefixJob byte = 0x16
	// prefixTarget + job ID 0x00 NAME → model.TargetStatus (one per
	// computer; a job may have 10,000).
	prefixTarget byte = 0x17
	// prefixEvent + uint64 ID → model.Event. IDs come from seqEvent, so a
	// reverse scan lists the newest first.
	prefixEvent byte = 0x18
	// prefixArchive + package ID 0x00 sha256 → model.Archive.
	prefixArchive byte = 0x19
	// prefixHolding + package ID 0x00 sha256 0x00 site 0x00 fold(server) →
	// "site/name" (a JSON string): that server holds that archive.
	prefixHolding byte = 0x1A

	// Secrets. Badger encrypts every file with the key in store.key; these
	// prefixes keep secrets out of the records besides, so that listing
	// records never decodes one.

	// prefixSitePassword + code → the site share's password (a JSON string).
	prefixSitePassword byte = 0x20
	// prefixServerPassword + site 0x00 fold(name) → the server's password
	// (a JSON string).
	prefixServerPassword byte = 0x21
	// prefixPackagePassword + package ID → the password of the package's
	// source share (a JSON string).
	prefixPackagePassword byte = 0x23
	// prefixSiteKey + code → the Ed25519 seed (32 bytes, JSON base64) of
	// the site's signing key.
	prefixSiteKey byte = 0x22
)

// Meta and sequence names.
var (
	// keySchema holds the schema version (a JSON number). Open refuses a
	// store whose schema is newer than schemaVersion.
	keySchema = key(prefixMeta, "schema")
	// keyHome holds the home site code (a JSON string): the first site ever
	// stored, which package and job IDs start with. It never changes.
	keyHome = key(prefixMeta, "home")

	seqPackage = key(prefixSequence, "package")
	seqJob     = key(prefixSequence, "job")
	seqEvent   = key(prefixSequence, "event")
)

// schemaVersion is the key schema this code reads and writes.
const schemaVersion = 1

const sep = 0x00

// key builds prefix + parts joined by the separator.
func key(prefix byte, parts ...string) []byte {
	n := 1
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 1, n)
	b[0] = prefix
	for i, p := range parts {
		if i > 0 {
			b = append(b, sep)
		}
		b = append(b, p...)
	}
	return b
}

// scan returns the prefix that every key below prefix + parts starts with
// (the parts followed by a separator), for a prefix scan.
func scan(prefix byte, parts ...string) []byte {
	if len(parts) == 0 {
		return []byte{prefix}
	}
	return append(key(prefix, parts...), sep)
}

// numKey builds prefix + n as 8 bytes BigEndian.
func numKey(prefix byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefix}, n)
}

// foldName is how server and group names appear in keys.
func foldName(s string) string { return strings.ToLower(s) }
