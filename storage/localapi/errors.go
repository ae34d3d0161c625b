package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Kinds of error the transport itself produces. Services add their own
// kinds (the API's "invalid", "not found", …); the client hands them back
// unchanged so the caller maps them to the same exit codes as in-process.
const (
	// KindVersion: the client and the service are different versions.
	KindVersion = "version"
	// KindForbidden: the peer's user may not make this request.
	KindForbidden = "forbidden"
	// KindUnavailable: the service is stopping, went away, or cannot be reached.
	KindUnavailable = "unavailable"
	// KindProtocol: the answer was not what this protocol sends (a bug or a
	// foreign program on the socket).
	KindProtocol = "protocol"
	// KindInternal: the service failed without a more precise kind.
	KindInternal = "internal"
)

// Error is one error as it crosses the socket: the sentence the user sees
// and a kind the client maps back to its own error (and so to an exit code).
type Error struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Status is the HTTP status it travelled with; not sent in the body.
	Status int `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// envelope is the body of every error response: {"error":{...}}.
type envelope struct {
	Error *Error `json:"error"`
}

// WriteError answers with the JSON error envelope and the given status.
func WriteError(w http.ResponseWriter, status int, kind, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(envelope{Error: &Error{Kind: kind, Message: message}})
}

// decodeError reads an error envelope from a response that is not 2xx. A
// body that is not an envelope is still said in one sentence.
func decodeError(resp *http.Response, service string) *Error {
	var env envelope
	if err := json.NewDecoder(http.MaxBytesReader(nil, resp.Body, 1<<20)).Decode(&env); err != nil || env.Error == nil || env.Error.Message == "" {
		return &Error{Kind: KindProtocol, Status: resp.StatusCode,
			Message: fmt.Sprintf("%s answered %s without saying why", service, resp.Status)}
	}
	env.Error.Status = resp.StatusCode
	return env.Error
}

// KindOf returns the kind of a transport error, or "" when err is not one.
func KindOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}
