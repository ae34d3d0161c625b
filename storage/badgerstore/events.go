package badgerstore

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"opensms/core/model"
)

// AppendEvent stores an event, numbering it and stamping the time when they
// are zero. A missing severity is info.
func (s *Store) AppendEvent(ctx context.Context, e model.Event) (model.Event, error) {
	if e.Severity == "" {
		e.Severity = model.SevInfo
	}
	if !slices.Contains([]model.Severity{model.SevInfo, model.SevWarning, model.SevError}, e.Severity) {
		return model.Event{}, &storeError{msg: fmt.Sprintf("event severity %q is not one of info, warning, error", e.Severity), kind: model.ErrInvalid}
	}
	if strings.TrimSpace(e.Message) == "" {
		return model.Event{}, &storeError{msg: "event message must not be empty", kind: model.ErrInvalid}
	}
	e.Computer = model.NormalizeComputerName(e.Computer)
	if e.Time.IsZero() {
		e.Time = now()
	}
	if e.ID == 0 {
		if s.closed.Load() {
			return model.Event{}, s.errClosed()
		}
		n, err := s.seqEvt.Next()
		if err != nil {
			return model.Event{}, fmt.Errorf("numbering the event: %w", err)
		}
		e.ID = n + 1
	}
	b, err := encode(e)
	if err != nil {
		return model.Event{}, err
	}
	k := numKey(prefixEvent, e.ID)
	err = s.update(ctx, func(txn *badger.Txn) error {
		if ok, err := exists(txn, k); err != nil {
			return err
		} else if ok {
			return alreadyExists("event %d", e.ID)
		}
		return txn.Set(k, b)
	})
	if err != nil {
		return model.Event{}, fmt.Errorf("storing event %d: %w", e.ID, err)
	}
	return e, nil
}

// ListEvents returns the events that match f, newest (highest ID) first.
func (s *Store) ListEvents(ctx context.Context, f model.EventFilter) ([]model.Event, error) {
	computer := model.NormalizeComputerName(f.Computer)
	var out []model.Event
	err := s.view(ctx, func(txn *badger.Txn) error {
		return each(ctx, txn, scan(prefixEvent), true, func(_ []byte, e model.Event) (bool, error) {
			if (f.Job == "" || e.Job == f.Job) &&
				(computer == "" || e.Computer == computer) &&
				(f.Severity == "" || e.Severity == f.Severity) &&
				(f.Since.IsZero() || !e.Time.Before(f.Since)) {
				out = append(out, e)
			}
			return f.Limit <= 0 || len(out) < f.Limit, nil
		})
	})
	return out, err
}
