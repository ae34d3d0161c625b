package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ClientConfig names the service a Client talks to and this build's version.
type ClientConfig struct {
	// Service names the service in sentences, e.g. "the site service".
	Service string
	// Version is this build's version, sent on every request.
	Version string
}

// Client calls a service over its local socket with net/http.
type Client struct {
	addr string
	cfg  ClientConfig
	hc   *http.Client
}

// NewClient returns a client for the service at addr (see Address). It
// connects on first use, so a missing service shows as ErrNoService from
// the first call.
func NewClient(addr string, cfg ClientConfig) *Client {
	if cfg.Service == "" {
		cfg.Service = "the service"
	}
	c := &Client{addr: addr, cfg: cfg}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dial(ctx, addr, cfg.Service)
		},
		DisableCompression: true,
		MaxIdleConns:       4,
		IdleConnTimeout:    30 * time.Second,
	}}
	return c
}

// Addr is the socket or pipe the client dials.
func (c *Client) Addr() string { return c.addr }

// Close drops idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Version asks the service who it is. It works across versions, so it is
// the probe that decides between attaching and embedding: ErrNoService
// means nothing answers; an *Error of kind version, with the service's
// answer, means it answers but is another version.
func (c *Client) Version(ctx context.Context) (VersionInfo, error) {
	resp, err := c.send(ctx, http.MethodGet, VersionPath, nil, false)
	if err != nil {
		return VersionInfo{}, err
	}
	defer resp.Body.Close()
	var info VersionInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return VersionInfo{}, &Error{Kind: KindProtocol, Message: fmt.Sprintf("something that is not %s answers on %s (%v)", c.cfg.Service, c.addr, err)}
	}
	if info.Version != c.cfg.Version {
		return info, &Error{Kind: KindVersion, Message: versionSentence(c.cfg.Version, c.cfg.Service, info.Version)}
	}
	return info, nil
}

// Do sends in (JSON, when not nil) to path and decodes the answer into out
// (when not nil). A refusal comes back as *Error with the service's
// sentence and kind; a service that is gone as ErrNoService (before the
// request) or an *Error of kind unavailable (during it).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.send(ctx, method, path, in, true)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return c.wentAway(err)
	}
	return nil
}

// Stream sends in to path and returns the open body of a newline-delimited
// JSON stream; read it with DecodeStream.
func (c *Client) Stream(ctx context.Context, method, path string, in any) (io.ReadCloser, error) {
	resp, err := c.send(ctx, method, path, in, true)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// send makes one request and turns every failure into a sentence; on
// success the caller owns resp.Body.
func (c *Client) send(ctx context.Context, method, path string, in any, checkVersion bool) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encoding the request to %s: %w", c.cfg.Service, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://local"+path, body)
	if err != nil {
		return nil, fmt.Errorf("building the request to %s: %w", c.cfg.Service, err)
	}
	req.Header.Set(HeaderVersion, c.cfg.Version)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var te *Error
		if errors.Is(err, ErrNoService) {
			return nil, unwrapNoService(err)
		}
		if errors.As(err, &te) {
			return nil, te
		}
		return nil, c.wentAway(err)
	}
	v := resp.Header.Get(HeaderVersion)
	if v == "" && resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, &Error{Kind: KindProtocol, Message: fmt.Sprintf("something that is not %s answers on %s (%s)", c.cfg.Service, c.addr, resp.Status)}
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, decodeError(resp, c.cfg.Service)
	}
	if checkVersion && v != c.cfg.Version {
		resp.Body.Close()
		return nil, &Error{Kind: KindVersion, Message: versionSentence(c.cfg.Version, c.cfg.Service, v)}
	}
	return resp, nil
}

// unwrapNoService keeps the dialer's own "no service … at …" error rather
// than net/http's wrapping of it.
func unwrapNoService(err error) error {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if w, ok := e.(interface{ Unwrap() error }); ok && w.Unwrap() == ErrNoService {
			return e
		}
	}
	return err
}

// wentAway is the sentence for a service that stopped answering mid-request.
func (c *Client) wentAway(err error) error {
	return &Error{Kind: KindUnavailable, Message: fmt.Sprintf("%s at %s went away (%v)", c.cfg.Service, c.addr, err)}
}
