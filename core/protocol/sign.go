package protocol

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Errors that Open and the Decode functions wrap, so that a client can tell
// a file it must never act on (wrong key, edited) from one it cannot read
// (damaged, newer). The error texts themselves are sentences for people.
var (
	// ErrUnsigned: the data is not a signed envelope, or its signature is
	// missing.
	ErrUnsigned = errors.New("not signed")
	// ErrBadSignature: the envelope names the expected key, but its
	// signature does not match the content: it was edited after signing.
	ErrBadSignature = errors.New("signature does not match")
	// ErrWrongKey: the envelope was signed by a key other than the pinned one.
	ErrWrongKey = errors.New("signed by another key")
	// ErrFormat: unknown or newer format, malformed JSON, a field that does
	// not make sense, or a file larger than allowed.
	ErrFormat = errors.New("unreadable format")
)

// Size limits. A file larger than these is refused unread, so that a
// damaged or hostile share cannot make a client or the collector allocate
// without bound.
const (
	// MaxSignedSize bounds site.json and instruction files (base64 makes the
	// payload a third larger than its JSON; 4 MiB holds thousands of offers).
	MaxSignedSize = 4 << 20
	// MaxPlainSize bounds status and inventory files written by clients.
	MaxPlainSize = 1 << 20
)

// envelope is the signed form on the share. Payload is base64 of the exact
// JSON bytes that were signed, so that verifying never depends on how a JSON
// library re-encodes a value.
type envelope struct {
	Format    string `json:"format"`
	Key       string `json:"key"` // Fingerprint of the signing key; a hint for error texts
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// protoError is a sentence for people that still matches its sentinel with
// errors.Is.
type protoError struct {
	kind error
	msg  string
}

func (e *protoError) Error() string { return e.msg }
func (e *protoError) Unwrap() error { return e.kind }

func errorf(kind error, format string, args ...any) error {
	return &protoError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// subject names what was read, for error sentences.
type subject struct {
	name   string
	plural bool
}

func (s subject) is() string {
	if s.plural {
		return s.name + " are"
	}
	return s.name + " is"
}

func (s subject) was() string {
	if s.plural {
		return s.name + " were"
	}
	return s.name + " was"
}

func subjectOf(format string) subject {
	switch format {
	case SiteFormat:
		return subject{name: "site.json"}
	case InstructionsFormat:
		return subject{name: "the instructions", plural: true}
	case StatusFormat:
		return subject{name: "the status file"}
	case InventoryFormat:
		return subject{name: "the inventory file"}
	case RulesFormat:
		return subject{name: "the package rules", plural: true}
	}
	return subject{name: "the " + format + " file"}
}

// Fingerprint returns a short, human-comparable name for a public key, as
// OpenSSH prints them: "SHA256:" and the unpadded base64 of its SHA-256.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// signedMessage is what the signature covers: the format name, a newline
// and the payload bytes, so that a payload cannot be replayed as another
// format.
func signedMessage(format string, payload []byte) []byte {
	m := make([]byte, 0, len(format)+1+len(payload))
	m = append(m, format...)
	m = append(m, '\n')
	return append(m, payload...)
}

// Sign encodes v as JSON and wraps it in a signed envelope of the given
// format. The same key, format and value always give the same bytes.
func Sign(priv ed25519.PrivateKey, format string, v any) ([]byte, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signing %s: the private key is %d bytes, not %d", format, len(priv), ed25519.PrivateKeySize)
	}
	if format == "" || strings.ContainsAny(format, "\n\r") {
		return nil, fmt.Errorf("signing: format %q is empty or holds a line break", format)
	}
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", format, err)
	}
	sig := ed25519.Sign(priv, signedMessage(format, payload))
	env := envelope{
		Format:    format,
		Key:       Fingerprint(priv.Public().(ed25519.PublicKey)),
		Payload:   base64.StdEncoding.EncodeToString(payload),
		Signature: base64.StdEncoding.EncodeToString(sig),
	}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding %s envelope: %w", format, err)
	}
	out = append(out, '\n')
	if len(out) > MaxSignedSize {
		return nil, fmt.Errorf("%s would be %d bytes, more than the %d a reader accepts", subjectOf(format).name, len(out), MaxSignedSize)
	}
	return out, nil
}

// Open checks that data is an envelope of the given format signed by pub and
// decodes its payload into v. Errors wrap ErrUnsigned, ErrBadSignature,
// ErrWrongKey or ErrFormat.
func Open(pub ed25519.PublicKey, format string, data []byte, v any) error {
	payload, err := verify(pub, format, data, func([]byte) subject { return subjectOf(format) })
	if err != nil {
		return err
	}
	return decodePayload(subjectOf(format), payload, v)
}

// unwrap parses the envelope and returns it with its payload, without
// looking at the signature.
func unwrap(format string, data []byte) (envelope, []byte, error) {
	subj := subjectOf(format)
	if len(data) > MaxSignedSize {
		return envelope{}, nil, errorf(ErrFormat, "%s %d bytes, more than the %d allowed", subj.is(), len(data), MaxSignedSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return envelope{}, nil, errorf(ErrFormat, "%s empty", subj.is())
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return envelope{}, nil, errorf(ErrFormat, "%s not valid JSON (damaged or cut short): %v", subj.is(), err)
	}
	if env.Payload == "" {
		return envelope{}, nil, errorf(ErrUnsigned, "%s not signed: there is no signed envelope", subj.is())
	}
	if err := checkFormat(subj, env.Format, format); err != nil {
		return envelope{}, nil, err
	}
	payload, err := base64.StdEncoding.Strict().DecodeString(env.Payload)
	if err != nil {
		return envelope{}, nil, errorf(ErrFormat, "%s damaged: the payload is not valid base64", subj.is())
	}
	return env, payload, nil
}

// verify checks the envelope against pub and returns the signed payload.
// name gives the subject of error sentences from the payload; the payload
// is not trusted yet, so name only uses it to say which computer a file is
// for.
func verify(pub ed25519.PublicKey, format string, data []byte, name func(payload []byte) subject) ([]byte, error) {
	env, payload, err := unwrap(format, data)
	if err != nil {
		return nil, err
	}
	subj := name(payload)
	if len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("checking %s: the pinned key is %d bytes, not %d", subj.name, len(pub), ed25519.PublicKeySize)
	}
	if env.Signature == "" {
		return nil, errorf(ErrUnsigned, "%s not signed: the signature is missing", subj.is())
	}
	if want := Fingerprint(pub); env.Key != want {
		return nil, errorf(ErrWrongKey, "%s signed by key %s, not the %s %s", subj.is(), printable(env.Key), keyName(format), want)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(env.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, signedMessage(format, payload), sig) {
		return nil, errorf(ErrBadSignature, "%s changed after signing: the signature does not match", subj.was())
	}
	return payload, nil
}

// keyName says whose key was expected, for error sentences.
func keyName(format string) string {
	switch format {
	case StatusFormat, InventoryFormat:
		return "key registered for the computer"
	}
	return "pinned site key"
}

// decodePayload decodes verified JSON into v.
func decodePayload(subj subject, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return errorf(ErrFormat, "%s signed but not valid: %v", subj.is(), err)
	}
	return nil
}

// checkFormat compares a file's format name with the one expected, telling
// a newer version of the same format apart from something else.
func checkFormat(subj subject, got, want string) error {
	if got == want {
		return nil
	}
	gf, gv, gok := splitFormat(got)
	wf, wv, wok := splitFormat(want)
	if gok && wok && gf == wf && gv > wv {
		return errorf(ErrFormat, "%s format %s, newer than this version of OpenSMS reads (%s); update OpenSMS", subj.is(), printable(got), want)
	}
	return errorf(ErrFormat, "%s format %q, not %s", subj.is(), printable(got), want)
}

// splitFormat splits "opensms-instructions/1" into its name and version.
func splitFormat(f string) (string, int, bool) {
	i := strings.LastIndexByte(f, '/')
	if i < 0 {
		return f, 0, false
	}
	n, err := strconv.Atoi(f[i+1:])
	if err != nil || n < 0 {
		return f, 0, false
	}
	return f[:i], n, true
}

// printable shortens and cleans text read from a file before it goes into
// an error sentence.
func printable(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
