package localapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// StreamWriter sends a live stream as newline-delimited JSON, one value a
// line, flushed at once (Docker's /events, Syncthing's event stream).
type StreamWriter struct {
	rc  *http.ResponseController
	enc *json.Encoder
}

// NewStreamWriter starts a 200 application/x-ndjson response and sends its
// header now, so the client knows the stream is open before the first value.
func NewStreamWriter(w http.ResponseWriter) (*StreamWriter, error) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if err := rc.Flush(); err != nil {
		return nil, fmt.Errorf("starting the stream: %w", err)
	}
	return &StreamWriter{rc: rc, enc: json.NewEncoder(w)}, nil
}

// Send writes v as one line and flushes it; an error means the client is gone.
func (s *StreamWriter) Send(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	return s.rc.Flush()
}

// DecodeStream reads newline-delimited JSON values of type T from body and
// hands each to fn, until the body ends (the service closed the stream),
// fn returns an error, or ctx ends (then it returns ctx.Err()). It closes
// body. A line that is not a T is a protocol error.
func DecodeStream[T any](ctx context.Context, body io.ReadCloser, fn func(T) error) error {
	stop := context.AfterFunc(ctx, func() { body.Close() })
	defer stop()
	defer body.Close()
	dec := json.NewDecoder(bufio.NewReader(body))
	for {
		var v T
		err := dec.Decode(&v)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			if errors.As(err, &syn) || errors.As(err, &typ) {
				return &Error{Kind: KindProtocol, Message: fmt.Sprintf("reading the stream: %v", err)}
			}
			return &Error{Kind: KindUnavailable, Message: fmt.Sprintf("the stream ended: %v", err)}
		}
		if err := fn(v); err != nil {
			return err
		}
	}
}
