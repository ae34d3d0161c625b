// Package admin is the OpenSMS Administrator API: every use case an
// administrator performs (sites, servers, computers, machine groups,
// packages, jobs, the site key, events and the watchdog's controls) as one
// Go interface, API, that the window (gui/admin) and smsctl both call, and
// that the site service serves over its local socket.
//
// To add an admin action: add one method to API (ctx first, plain
// JSON-serialisable request and response), implement it once on Local, and
// call it from each front end (one smsctl verb, one window handler).
//
// Every rule lives here once, or in the store's transaction it calls:
// duplicates are refused by the store's create-only methods, references
// are checked on delete, machine-group members must exist, credentials fit
// their share, and a share that refuses or does not answer is explained in
// one sentence. Errors are *Error: a Kind (bad input, not found, exists, in
// use, unavailable) and the sentence to show, so that the kind survives a
// wire and errors.Is(err, model.ErrNotFound) still holds after it.
package admin
