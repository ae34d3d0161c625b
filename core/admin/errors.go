package admin

import (
	"context"
	"errors"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// Kind says what sort of failure an Error is; front ends choose their exit
// code or their dialog from it, never from the sentence.
type Kind string

// Error kinds. KindFailed is the work failing (a disk, a bug); the others
// say the request cannot be done as asked.
const (
	KindFailed      Kind = "failed"
	KindInvalid     Kind = "invalid"     // bad input: model.ErrInvalid
	KindNotFound    Kind = "not_found"   // model.ErrNotFound
	KindExists      Kind = "exists"      // model.ErrExists
	KindInUse       Kind = "in_use"      // model.ErrInUse
	KindUnavailable Kind = "unavailable" // model.ErrUnavailable
)

// sentinel is the model error a kind matches.
func (k Kind) sentinel() error {
	switch k {
	case KindInvalid:
		return model.ErrInvalid
	case KindNotFound:
		return model.ErrNotFound
	case KindExists:
		return model.ErrExists
	case KindInUse:
		return model.ErrInUse
	case KindUnavailable:
		return model.ErrUnavailable
	}
	return nil
}

// Error is what every API method fails with: plain data, so that it crosses
// a wire whole. errors.Is(err, model.ErrNotFound) (and the other sentinels)
// holds for the matching kind.
type Error struct {
	Kind     Kind   `json:"kind"`
	Sentence string `json:"sentence"`
}

func (e *Error) Error() string { return e.Sentence }

// Is matches the model sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s := e.Kind.sentinel()
	return s != nil && target == s
}

// Invalidf is a bad-input Error with a formatted sentence.
func invalidf(format string, args ...any) error {
	return &Error{Kind: KindInvalid, Sentence: sprintf(format, args...)}
}

// KindOf returns the kind of any error: an *Error's own, or the one its
// chain matches.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	for _, k := range []Kind{KindInvalid, KindNotFound, KindExists, KindInUse, KindUnavailable} {
		if errors.Is(err, k.sentinel()) {
			return k
		}
	}
	switch {
	case errors.Is(err, watchdog.ErrFinished):
		return KindInvalid
	case errors.Is(err, share.ErrAuth), errors.Is(err, share.ErrSecurity), errors.Is(err, share.ErrUnreachable), errors.Is(err, share.ErrNoShare):
		return KindUnavailable
	}
	return KindFailed
}

// asError makes err an *Error (nil stays nil), keeping its sentence and
// adding what to do when a share refused or did not answer.
func asError(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if errors.Is(err, context.Canceled) {
		return &Error{Kind: KindFailed, Sentence: err.Error()}
	}
	return &Error{Kind: KindOf(err), Sentence: withAdvice(err)}
}

// fail is deferred by every method: what it returns is an *Error.
func fail(err *error) { *err = asError(*err) }
