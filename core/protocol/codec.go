package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"opensms/core/model"
)

// EncodeSite signs site.json with the site's key. An empty PublicKey is
// filled in from priv; a different one is refused, since a client checks
// the signature with the key the file carries.
func EncodeSite(priv ed25519.PrivateKey, s SiteInfo) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signing site.json: the private key is %d bytes, not %d", len(priv), ed25519.PrivateKeySize)
	}
	pub := priv.Public().(ed25519.PublicKey)
	if s.Format == "" {
		s.Format = SiteFormat
	}
	if len(s.PublicKey) == 0 {
		s.PublicKey = pub
	}
	if !bytes.Equal(s.PublicKey, pub) {
		return nil, fmt.Errorf("site.json for %s names key %s but would be signed by key %s", s.Code, Fingerprint(s.PublicKey), Fingerprint(pub))
	}
	s.Published = s.Published.UTC()
	if err := checkSite(s); err != nil {
		return nil, err
	}
	return Sign(priv, SiteFormat, s)
}

// DecodeSite reads site.json and checks that it is signed by the key it
// carries. It cannot tell whether that key is the right one: the caller
// compares Fingerprint(s.PublicKey) with the fingerprint it pinned.
func DecodeSite(data []byte) (SiteInfo, error) {
	subj := subjectOf(SiteFormat)
	_, payload, err := unwrap(SiteFormat, data)
	if err != nil {
		return SiteInfo{}, err
	}
	var s SiteInfo
	if err := decodePayload(subj, payload, &s); err != nil {
		return SiteInfo{}, err
	}
	if len(s.PublicKey) != ed25519.PublicKeySize {
		return SiteInfo{}, errorf(ErrFormat, "site.json carries a public key of %d bytes, not %d", len(s.PublicKey), ed25519.PublicKeySize)
	}
	if _, err := verify(ed25519.PublicKey(s.PublicKey), SiteFormat, data, func([]byte) subject { return subj }); err != nil {
		return SiteInfo{}, err
	}
	if err := checkFormat(subj, s.Format, SiteFormat); err != nil {
		return SiteInfo{}, err
	}
	if err := checkSite(s); err != nil {
		return SiteInfo{}, errorf(ErrFormat, "site.json is signed but not valid: %v", err)
	}
	s.Published = s.Published.UTC()
	return s, nil
}

func checkSite(s SiteInfo) error {
	if err := model.ValidSiteCode(s.Code); err != nil {
		return err
	}
	if err := checkTimes(s.Published); err != nil {
		return err
	}
	if len(s.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("site %s has a public key of %d bytes, not %d", s.Code, len(s.PublicKey), ed25519.PublicKeySize)
	}
	return nil
}

// EncodeInstructions checks and signs a computer's instruction file. The
// same instructions always give the same bytes; see also InstructionsDigest.
func EncodeInstructions(priv ed25519.PrivateKey, ins Instructions) ([]byte, error) {
	ins = normalInstructions(ins)
	if err := checkInstructions(ins); err != nil {
		return nil, fmt.Errorf("instructions for %s: %w", printable(ins.Computer), err)
	}
	return Sign(priv, InstructionsFormat, ins)
}

// DecodeInstructions checks that data is an instruction file signed by pub
// and that every offer in it makes sense. Computer names come back upper
// case and times in UTC. Errors wrap ErrUnsigned, ErrBadSignature,
// ErrWrongKey or ErrFormat.
func DecodeInstructions(pub ed25519.PublicKey, data []byte) (Instructions, error) {
	var subj subject
	payload, err := verify(pub, InstructionsFormat, data, func(p []byte) subject {
		subj = instructionsSubject(p)
		return subj
	})
	if err != nil {
		return Instructions{}, err
	}
	var ins Instructions
	if err := decodePayload(subj, payload, &ins); err != nil {
		return Instructions{}, err
	}
	if err := checkFormat(subj, ins.Format, InstructionsFormat); err != nil {
		return Instructions{}, err
	}
	if err := checkInstructions(ins); err != nil {
		return Instructions{}, errorf(ErrFormat, "%s signed but not valid: %v", subj.is(), err)
	}
	return normalInstructions(ins), nil
}

// instructionsSubject names instructions by the computer they are for, if
// the (not yet verified) payload says so plainly.
func instructionsSubject(payload []byte) subject {
	var peek struct {
		Computer string `json:"computer"`
	}
	if json.Unmarshal(payload, &peek) == nil {
		if c, err := ComputerName(peek.Computer); err == nil {
			return subject{name: "instructions for " + c, plural: true}
		}
	}
	return subjectOf(InstructionsFormat)
}

// InstructionsDigest summarises everything in ins except Generated,
// Sequence and ValidUntil, so the watchdog rewrites a computer's
// instruction file only when what it offers changes (or to sign it again
// before it runs out).
func InstructionsDigest(ins Instructions) string {
	ins = normalInstructions(ins)
	ins.Generated, ins.Sequence, ins.ValidUntil = time.Time{}, 0, time.Time{}
	b, err := json.Marshal(ins)
	if err != nil {
		// Instructions holds only plain data; Marshal cannot fail on it.
		panic(fmt.Sprintf("protocol: encoding instructions: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// normalInstructions returns a copy in canonical form: format set, computer
// name upper case, times in UTC, offers never nil. Equal instants in other zones are the same
// instructions and must encode to the same bytes.
func normalInstructions(ins Instructions) Instructions {
	if ins.Format == "" {
		ins.Format = InstructionsFormat
	}
	if c, err := ComputerName(ins.Computer); err == nil {
		ins.Computer = c
	}
	ins.Generated = ins.Generated.UTC()
	ins.ValidUntil = ins.ValidUntil.UTC()
	// A computer with nothing offered gets "offers": [], not null.
	offers := make([]Offer, len(ins.Offers))
	for i, o := range ins.Offers {
		o.OfferAfter = o.OfferAfter.UTC()
		o.MandatoryAfter = o.MandatoryAfter.UTC()
		o.ExpiresAfter = o.ExpiresAfter.UTC()
		offers[i] = o
	}
	ins.Offers = offers
	return ins
}

func checkInstructions(ins Instructions) error {
	if ins.Format != InstructionsFormat {
		return fmt.Errorf("format is %q, not %s", printable(ins.Format), InstructionsFormat)
	}
	if err := model.ValidSiteCode(ins.Site); err != nil {
		return err
	}
	if _, err := ComputerName(ins.Computer); err != nil {
		return err
	}
	if err := checkTimes(ins.Generated, ins.ValidUntil); err != nil {
		return err
	}
	seen := make(map[string]bool, len(ins.Offers))
	for i, o := range ins.Offers {
		if err := checkOffer(o); err != nil {
			if o.Job != "" {
				return fmt.Errorf("offer %d (job %s): %w", i+1, printable(o.Job), err)
			}
			return fmt.Errorf("offer %d: %w", i+1, err)
		}
		if seen[o.Job] {
			return fmt.Errorf("job %s is offered twice", o.Job)
		}
		seen[o.Job] = true
	}
	return nil
}

func checkOffer(o Offer) error {
	if err := checkName("job", o.Job); err != nil {
		return err
	}
	if err := checkName("package", o.Package); err != nil {
		return err
	}
	if !isSHA256Hex(o.Archive) {
		return fmt.Errorf("archive %q is not a sha256 (64 lower-case hex digits)", printable(o.Archive))
	}
	if o.ArchiveSize < 0 {
		return fmt.Errorf("archive size %d is negative", o.ArchiveSize)
	}
	if strings.TrimSpace(o.Command.Name) == "" {
		return fmt.Errorf("the command line has no name")
	}
	if strings.TrimSpace(o.Command.Command) == "" {
		return fmt.Errorf("command line %q has no command", printable(o.Command.Name))
	}
	if o.Command.Timeout < 0 {
		return fmt.Errorf("command line %q has a negative time-out", printable(o.Command.Name))
	}
	if err := checkTimes(o.OfferAfter, o.MandatoryAfter, o.ExpiresAfter); err != nil {
		return err
	}
	if o.Deferrals < 0 {
		return fmt.Errorf("deferrals %d is negative", o.Deferrals)
	}
	if o.Generation < 0 {
		return fmt.Errorf("generation %d is negative", o.Generation)
	}
	if len(o.Servers) == 0 {
		return fmt.Errorf("no distribution server holds the archive")
	}
	for _, s := range o.Servers {
		if _, err := model.ParseLocation(s.URL); err != nil {
			return fmt.Errorf("server %q: %w", printable(s.Name), err)
		}
	}
	return nil
}

// EncodeStatus signs a client's status file with the computer's key.
func EncodeStatus(priv ed25519.PrivateKey, s Status) ([]byte, error) {
	s = normalStatus(s)
	if err := checkStatus(s); err != nil {
		return nil, fmt.Errorf("status of job %s on %s: %w", printable(s.Job), printable(s.Computer), err)
	}
	return signPlain(priv, StatusFormat, s)
}

// DecodeStatus checks that a status file is signed by pub, the key
// registered for its computer, and reads it. Errors wrap ErrUnsigned,
// ErrBadSignature, ErrWrongKey or ErrFormat.
func DecodeStatus(pub ed25519.PublicKey, data []byte) (Status, error) {
	var s Status
	subj := subjectOf(StatusFormat)
	if len(data) > MaxPlainSize {
		return Status{}, errorf(ErrFormat, "%s %d bytes, more than the %d allowed", subj.is(), len(data), MaxPlainSize)
	}
	if err := Open(pub, StatusFormat, data, &s); err != nil {
		return Status{}, err
	}
	if err := checkFormat(subj, s.Format, StatusFormat); err != nil {
		return Status{}, err
	}
	if err := checkStatus(s); err != nil {
		return Status{}, errorf(ErrFormat, "%s not valid: %v", subj.is(), err)
	}
	return normalStatus(s), nil
}

func normalStatus(s Status) Status {
	if s.Format == "" {
		s.Format = StatusFormat
	}
	if c, err := ComputerName(s.Computer); err == nil {
		s.Computer = c
	}
	s.Started, s.Finished, s.Written = s.Started.UTC(), s.Finished.UTC(), s.Written.UTC()
	return s
}

func checkStatus(s Status) error {
	if s.Format != StatusFormat {
		return fmt.Errorf("format is %q, not %s", printable(s.Format), StatusFormat)
	}
	if err := checkName("job", s.Job); err != nil {
		return err
	}
	if _, err := ComputerName(s.Computer); err != nil {
		return err
	}
	switch s.State {
	case model.TargetNone, model.TargetOffered, model.TargetRunning, model.TargetComplete, model.TargetRetrying, model.TargetFailed:
	default:
		return fmt.Errorf("state %q is not one of none, offered, running, complete, retrying, failed", printable(string(s.State)))
	}
	switch s.Reboot {
	case model.RebootNone, model.RebootSoft, model.RebootHard:
	default:
		return fmt.Errorf("reboot %q is not soft, hard or empty", printable(string(s.Reboot)))
	}
	if s.Generation < 0 || s.Attempts < 0 {
		return fmt.Errorf("generation %d or attempts %d is negative", s.Generation, s.Attempts)
	}
	return checkTimes(s.Started, s.Finished, s.Written)
}

// EncodeInventory signs a client's inventory file with the computer's key
// and puts the public half in it.
func EncodeInventory(priv ed25519.PrivateKey, inv Inventory) ([]byte, error) {
	if len(priv) == ed25519.PrivateKeySize {
		inv.PublicKey = priv.Public().(ed25519.PublicKey)
	}
	inv = normalInventory(inv)
	if err := checkInventory(inv); err != nil {
		return nil, fmt.Errorf("inventory of %s: %w", printable(inv.Computer), err)
	}
	return signPlain(priv, InventoryFormat, inv)
}

// DecodeInventory reads an inventory file and checks that it is signed by
// the key it carries. That proves only that the writer holds the key: the
// caller compares the key with the one registered for the computer.
// Errors wrap ErrUnsigned, ErrBadSignature or ErrFormat.
func DecodeInventory(data []byte) (Inventory, error) {
	subj := subjectOf(InventoryFormat)
	if len(data) > MaxPlainSize {
		return Inventory{}, errorf(ErrFormat, "%s %d bytes, more than the %d allowed", subj.is(), len(data), MaxPlainSize)
	}
	_, payload, err := unwrap(InventoryFormat, data)
	if err != nil {
		return Inventory{}, err
	}
	var inv Inventory
	if err := decodePayload(subj, payload, &inv); err != nil {
		return Inventory{}, err
	}
	if len(inv.PublicKey) != ed25519.PublicKeySize {
		return Inventory{}, errorf(ErrUnsigned, "%s carries no computer key (its client is older than this site): update the client", subj.is())
	}
	if _, err := verify(ed25519.PublicKey(inv.PublicKey), InventoryFormat, data, func([]byte) subject { return subj }); err != nil {
		return Inventory{}, err
	}
	if err := checkFormat(subj, inv.Format, InventoryFormat); err != nil {
		return Inventory{}, err
	}
	if err := checkInventory(inv); err != nil {
		return Inventory{}, errorf(ErrFormat, "%s not valid: %v", subj.is(), err)
	}
	return normalInventory(inv), nil
}

func normalInventory(inv Inventory) Inventory {
	if inv.Format == "" {
		inv.Format = InventoryFormat
	}
	if c, err := ComputerName(inv.Computer); err == nil {
		inv.Computer = c
	}
	inv.Time = inv.Time.UTC()
	return inv
}

func checkInventory(inv Inventory) error {
	if inv.Format != InventoryFormat {
		return fmt.Errorf("format is %q, not %s", printable(inv.Format), InventoryFormat)
	}
	if _, err := ComputerName(inv.Computer); err != nil {
		return err
	}
	if inv.Site != "" {
		if err := model.ValidSiteCode(inv.Site); err != nil {
			return err
		}
	}
	return checkTimes(inv.Time)
}

// signPlain signs a file a client writes, refusing one larger than the
// collector reads.
func signPlain(priv ed25519.PrivateKey, format string, v any) ([]byte, error) {
	b, err := Sign(priv, format, v)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPlainSize {
		return nil, fmt.Errorf("%s would be %d bytes, more than the %d a reader accepts", subjectOf(format).name, len(b), MaxPlainSize)
	}
	return b, nil
}

// checkTimes refuses times that JSON cannot carry once they are in UTC
// (years outside 0 to 9999), so that whatever decodes also encodes.
func checkTimes(ts ...time.Time) error {
	for _, t := range ts {
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			return fmt.Errorf("time %s is outside the years 0 to 9999", t.UTC().Format(time.RFC3339))
		}
	}
	return nil
}
