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
	out, err := s.AppendEvents(ctx, []model.Event{e})
	if err != nil {
		return model.Event{}, err
	}
	return out[0], nil
}

// AppendEvents stores events as AppendEvent does, numbered in their order,
// in as few synced writes as the store allows: a watchdog cycle taking in
// 1,000 results wrote 1,000 events one synced write at a time. An invalid
// event stores none of them.
func (s *Store) AppendEvents(ctx context.Context, events []model.Event) ([]model.Event, error) {
	out := make([]model.Event, len(events))
	keys := make([][]byte, len(events))
	vals := make([][]byte, len(events))
	for i, e := range events {
		if e.Severity == "" {
			e.Severity = model.SevInfo
		}
		if !slices.Contains([]model.Severity{model.SevInfo, model.SevWarning, model.SevError}, e.Severity) {
			return nil, &storeError{msg: fmt.Sprintf("event severity %q is not one of info, warning, error", e.Severity), kind: model.ErrInvalid}
		}
		if strings.TrimSpace(e.Message) == "" {
			return nil, &storeError{msg: "event message must not be empty", kind: model.ErrInvalid}
		}
		e.Computer = model.NormalizeComputerName(e.Computer)
		if e.Time.IsZero() {
			e.Time = now()
		}
		out[i] = e
	}
	for i, e := range out {
		if e.ID == 0 {
			if s.closed.Load() {
				return nil, s.errClosed()
			}
			n, err := s.seqEvt.Next()
			if err != nil {
				return nil, fmt.Errorf("numbering the event: %w", err)
			}
			e.ID = n + 1
		}
		b, err := encode(e)
		if err != nil {
			return nil, err
		}
		out[i], keys[i], vals[i] = e, numKey(prefixEvent, e.ID), b
	}
	err := s.batch(ctx, len(out), func(txn *badger.Txn, i int) error {
		// A number the store gave is new; one the caller gave may not be.
		if events[i].ID != 0 {
			if ok, err := exists(txn, keys[i]); err != nil {
				return err
			} else if ok {
				return alreadyExists("event %d", out[i].ID)
			}
		}
		return txn.Set(keys[i], vals[i])
	})
	if err != nil {
		if len(out) == 1 {
			return nil, fmt.Errorf("storing event %d: %w", out[0].ID, err)
		}
		return nil, fmt.Errorf("storing events %d to %d: %w", out[0].ID, out[len(out)-1].ID, err)
	}
	return out, nil
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
