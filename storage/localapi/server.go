package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderVersion carries each side's version on every request and every
// response, so that a console and a service built apart say so.
const HeaderVersion = "OpenSMS-Version"

// VersionPath answers {"service":…,"version":…}. It is the one path
// without a version prefix: it must work between any two versions.
const VersionPath = "/version"

// VersionInfo is what VersionPath answers.
type VersionInfo struct {
	Service string    `json:"service"`
	Version string    `json:"version"`
	Started time.Time `json:"started"`
}

// ServerConfig is what Serve serves and how it stops.
type ServerConfig struct {
	// Service names the service in sentences, e.g. "the site service".
	Service string
	// Version is this build's version; requests from another version are
	// refused with a sentence naming both.
	Version string
	// Handler serves the API. Each request's context carries its Peer.
	Handler http.Handler
	// Grace bounds how long requests in flight may finish once the
	// context ends (default 5 s); streams end at once.
	Grace time.Duration
}

type connKey struct{}

// connInfo rides in every request's context: who is on the other end, and
// a channel closed when the service starts stopping.
type connInfo struct {
	stopping <-chan struct{}
}

// Serve serves cfg.Handler on l until ctx ends; then it refuses new
// requests, ends streams, lets requests in flight finish within the grace
// time and returns nil. It closes l (which removes a Unix socket).
func Serve(ctx context.Context, l net.Listener, cfg ServerConfig) error {
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	stopping := make(chan struct{})
	var stopped atomic.Bool
	var handlers sync.WaitGroup
	info := VersionInfo{Service: cfg.Service, Version: cfg.Version, Started: time.Now().UTC()}
	srv := &http.Server{
		Handler:           wrap(cfg, info, &stopped, &handlers),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			p, err := peerOf(c)
			ctx = context.WithValue(ctx, peerKey{}, peerResult{peer: p, err: err})
			return context.WithValue(ctx, connKey{}, connInfo{stopping: stopping})
		},
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		l.Close()
		return fmt.Errorf("serving %s: %w", cfg.Service, err)
	case <-ctx.Done():
	}
	stopped.Store(true)
	close(stopping)
	graceCtx, cancel := context.WithTimeout(context.Background(), cfg.Grace)
	defer cancel()
	err := srv.Shutdown(graceCtx)
	if err != nil {
		srv.Close() // requests that outlived the grace time are cut
	}
	l.Close()
	if serveErr := <-done; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("serving %s: %w", cfg.Service, serveErr)
	}
	// A cut request's handler sees its context end; wait for it to return
	// so that the caller may close what the handlers use (the store).
	handled := make(chan struct{})
	go func() { handlers.Wait(); close(handled) }()
	select {
	case <-handled:
		return nil
	case <-time.After(cfg.Grace):
		return fmt.Errorf("stopping %s: requests still running %s after their connections were closed", cfg.Service, 2*cfg.Grace)
	}
}

// wrap adds what every request gets: the version header both ways, the
// version answer, and a refusal once the service is stopping.
func wrap(cfg ServerConfig, info VersionInfo, stopped *atomic.Bool, handlers *sync.WaitGroup) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		w.Header().Set(HeaderVersion, cfg.Version)
		if r.URL.Path == VersionPath {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(info)
			return
		}
		if stopped.Load() {
			WriteError(w, http.StatusServiceUnavailable, KindUnavailable, cfg.Service+" is stopping")
			return
		}
		if v := r.Header.Get(HeaderVersion); v != "" && v != cfg.Version {
			WriteError(w, http.StatusConflict, KindVersion, versionSentence(v, cfg.Service, cfg.Version))
			return
		}
		cfg.Handler.ServeHTTP(w, r)
	})
}

// versionSentence names both versions in one sentence.
func versionSentence(client, service, serviceVersion string) string {
	return fmt.Sprintf("this program is version %s but %s is version %s; use the same version of both", client, service, serviceVersion)
}

// StreamContext is the context a streaming handler should watch: it ends
// when the client goes away or when the service starts stopping (a stream
// would otherwise hold a graceful stop until its grace time runs out).
func StreamContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	ci, ok := r.Context().Value(connKey{}).(connInfo)
	if !ok {
		return ctx, cancel
	}
	go func() {
		select {
		case <-ci.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// Running is Serve running in the background, owned by whoever called
// Start: it ends with Stop.
type Running struct {
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start runs Serve on l in a goroutine until Stop.
func Start(l net.Listener, cfg ServerConfig) *Running {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Running{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.err = Serve(ctx, l, cfg)
	}()
	return r
}

// Done is closed when serving has ended: after Stop, or early when the
// socket failed (Stop then returns why).
func (r *Running) Done() <-chan struct{} { return r.done }

// Stop refuses new requests, lets those in flight finish (see Serve), and
// returns Serve's result. Calling it again returns the same.
func (r *Running) Stop() error {
	r.cancel()
	<-r.done
	return r.err
}
