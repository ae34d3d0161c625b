package client

import "context"

// EventKind says what an Event is about.
type EventKind string

// Event kinds.
const (
	// EventOffers: the offers changed (a poll, a deferral, a run began or
	// ended); Offers holds them.
	EventOffers EventKind = "offers"
	// EventProgress: a run moved on; Job and Progress say how.
	EventProgress EventKind = "progress"
	// EventFinished: a run ended; Result is its history entry.
	EventFinished EventKind = "finished"
)

// Event is one change a watcher sees: the PCM window attached to the agent
// follows the agent's runs, its own and the ones the agent starts by
// itself, through them.
type Event struct {
	Kind     EventKind     `json:"kind"`
	Job      string        `json:"job,omitempty"`
	Progress *Progress     `json:"progress,omitempty"`
	Result   *HistoryEntry `json:"result,omitempty"`
	Offers   []Offer       `json:"offers,omitempty"`
}

// watchBuffer is how many events a slow watcher may fall behind before it
// misses some (progress is lossy; the next offers event catches it up).
const watchBuffer = 64

// Subscribe returns a channel of the engine's events from now on and the
// function that ends the subscription (and closes the channel). A watcher
// that does not keep up misses events rather than slowing runs down.
func (e *Engine) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, watchBuffer)
	e.watchMu.Lock()
	if e.watchers == nil {
		e.watchers = map[chan Event]struct{}{}
	}
	e.watchers[ch] = struct{}{}
	e.watchMu.Unlock()
	var once bool
	return ch, func() {
		e.watchMu.Lock()
		defer e.watchMu.Unlock()
		if !once {
			once = true
			delete(e.watchers, ch)
			close(ch)
		}
	}
}

// publish hands ev to every watcher that has room for it.
func (e *Engine) publish(ev Event) {
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	for ch := range e.watchers {
		select {
		case ch <- ev:
		default:
		}
	}
}

// publishOffers tells watchers the offers as they are now.
func (e *Engine) publishOffers() {
	e.publish(Event{Kind: EventOffers, Offers: e.Offers()})
}

// Watch hands the engine's events to fn until ctx ends (then it returns
// nil) or fn returns an error. It is Subscribe for callers that also
// watch an agent over its socket (pcmapi.Client.Watch).
func (e *Engine) Watch(ctx context.Context, fn func(Event) error) error {
	events, stop := e.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			if err := fn(ev); err != nil {
				return err
			}
		}
	}
}
