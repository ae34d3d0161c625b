package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"opensms/core/model"
)

// AppendEvents numbers events in their order and stores them all; one
// invalid event stores none; a batch larger than one Badger transaction is
// stored whole.
func TestAppendEvents(t *testing.T) {
	ctx := context.Background()
	s := openDir(t, t.TempDir())
	first, err := s.AppendEvent(ctx, model.Event{Message: "before"})
	must(t, err)
	var batch []model.Event
	for i := range 3000 {
		// 4 KB each: 12 MB, more than one Badger transaction takes.
		batch = append(batch, model.Event{Computer: fmt.Sprintf("pc%04d", i), Message: fmt.Sprintf("PC%04d ran a job: %s", i, strings.Repeat("x", 4096))})
	}
	stored, err := s.AppendEvents(ctx, batch)
	must(t, err)
	for i, e := range stored {
		if e.ID != first.ID+1+uint64(i) || e.Severity != model.SevInfo || e.Computer != fmt.Sprintf("PC%04d", i) || e.Time.IsZero() {
			t.Fatalf("event %d stored as %+v", i, e)
		}
	}
	all, err := s.ListEvents(ctx, model.EventFilter{})
	must(t, err)
	if len(all) != 3001 || !strings.HasPrefix(all[0].Message, "PC2999 ran a job") || all[3000].Message != "before" {
		t.Fatalf("%d events listed, newest %q", len(all), all[0].Message)
	}

	_, err = s.AppendEvents(ctx, []model.Event{{Message: "fine"}, {Message: " "}})
	if !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("a batch with an empty message: %v", err)
	}
	if again, _ := s.ListEvents(ctx, model.EventFilter{}); len(again) != 3001 {
		t.Errorf("an invalid batch stored %d events", len(again)-3001)
	}
}
