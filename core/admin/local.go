package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"opensms/core/model"
	"opensms/core/share"
	"opensms/core/watchdog"
)

// Local is the API in process, over the store and the watchdog service.
// The service need not run: RunCycle then runs a cycle in this process, as
// smsctl watchdog run-once does.
type Local struct {
	st model.Store
	wd *watchdog.Service
	op share.Opener
}

var _ API = (*Local)(nil)

// New returns the API over st. wd is the watchdog over the same store
// (started or not); op opens shares for TestServer.
func New(st model.Store, wd *watchdog.Service, op share.Opener) *Local {
	return &Local{st: st, wd: wd, op: op}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

func now() time.Time { return time.Now().UTC().Round(0) }

// notFoundf is a not-found Error for a record a request refers to (the
// parent of a new site, the package of a job, …).
func notFoundf(format string, args ...any) error {
	return &Error{Kind: KindNotFound, Sentence: sprintf(format, args...)}
}

// mustExist turns not-found into "WHAT does not exist", for records a
// request refers to rather than the one it acts on.
func mustExist(what string, err error) error {
	if errors.Is(err, model.ErrNotFound) {
		return notFoundf("%s does not exist", what)
	}
	return err
}

// getErr keeps only the error of a lookup.
func getErr[T any](_ T, err error) error { return err }

func (l *Local) requireSite(ctx context.Context, code string) error {
	return mustExist("site "+code, getErr(l.st.GetSite(ctx, code)))
}

// nonNil makes an empty list a JSON [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
