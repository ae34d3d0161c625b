package main

// Attach or embed: every verb reaches the Administrator API through e.api.
// When a site service answers on DATA/admin.sock the API is the service's,
// over the socket; when none answers it is the API in this process, over
// the store opened here, as before there was a service. Output, --json,
// exit codes and sentences are the same either way, because both are the
// same admin.API and its errors keep their kind across the socket.

import (
	"context"
	"errors"

	"opensms/core/admin"
	"opensms/core/watchdog"
	"opensms/storage/adminapi"
	"opensms/storage/localapi"
	"opensms/storage/shares"
)

// version is this build's version, which the site service and its consoles
// compare, and smsctl version prints. make build and package set it with
// -ldflags "-X main.version=…" (git describe); it is
// written only by the linker.
var version = "dev"

// api returns the Administrator API for --data: the site service's when
// one answers, else the API in this process (its watchdog not started).
func (e *env) api(ctx context.Context) (admin.API, error) {
	return e.apiWith(ctx, watchdog.Config{})
}

// apiWith is api with the configuration of the in-process watchdog (run-once
// takes --concurrency); an attached console uses the service's own.
func (e *env) apiWith(ctx context.Context, cfg watchdog.Config) (admin.API, error) {
	if e.adminAPI != nil {
		return e.adminAPI, nil
	}
	dir, err := e.DataDir()
	if err != nil {
		return nil, err
	}
	if e.st == nil {
		c, err := adminapi.Attach(ctx, dir, e.buildVersion())
		if err == nil {
			e.attached = c
			e.adminAPI = c
			return c, nil
		}
		if !errors.Is(err, localapi.ErrNoService) {
			return nil, err // another user's service, or another version: never open the store behind it
		}
	}
	st, err := e.store()
	if err != nil {
		return nil, err
	}
	opener := shares.NewOpener()
	wd := watchdog.New(st, opener, cfg)
	if err := wd.Config().Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	e.adminAPI = admin.New(st, wd, opener)
	return e.adminAPI, nil
}

// buildVersion is the version this smsctl says to the site service.
func (e *env) buildVersion() string {
	if e.version != "" {
		return e.version
	}
	return version
}
