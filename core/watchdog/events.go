package watchdog

import (
	"context"

	"opensms/core/model"
)

// eventsAppender is a store that writes many events in one synced write
// (badgerstore does); without it, events are written one by one.
type eventsAppender interface {
	AppendEvents(ctx context.Context, events []model.Event) ([]model.Event, error)
}

// eventBatch gathers the events of one step that makes many (a cycle
// taking in 1,000 results makes 1,000), to be stored in one write, in
// order, by flushEvents.
type eventBatch struct {
	events []model.Event
}

// addEvent gathers e, scrubbed and stamped as event does it.
func (s *Service) addEvent(b *eventBatch, e model.Event) {
	e.Message = s.scrub(e.Message)
	if e.Time.IsZero() {
		e.Time = s.cfg.Now()
	}
	b.events = append(b.events, e)
}

// addEventOnce is eventOnce into a batch.
func (s *Service) addEventOnce(b *eventBatch, key string, e model.Event) {
	if s.cs.lastErr[key] == e.Message {
		return
	}
	s.cs.lastErr[key] = e.Message
	s.addEvent(b, e)
}

// flushEvents stores the batch's events, then publishes and logs each. A
// store that fails them is logged once; the events are still published.
func (s *Service) flushEvents(ctx context.Context, b *eventBatch) {
	if len(b.events) == 0 {
		return
	}
	events := b.events
	b.events = nil
	st, ok := s.st.(eventsAppender)
	if !ok {
		for _, e := range events {
			s.event(ctx, e)
		}
		return
	}
	stored, err := st.AppendEvents(context.WithoutCancel(ctx), events)
	if err != nil {
		s.log.Error("writing events", "err", err, "events", len(events), "first", events[0].Message)
		stored = events
	}
	for _, e := range stored {
		s.announce(ctx, e)
	}
}
