// Package localapi is the local-socket HTTP transport shared by the site
// service (the Administrator API on DATA/admin.sock) and the client agent
// (the PCM API on DATA/pcm.sock), after Tailscale's LocalAPI: a Unix socket
// (a named pipe on Windows), plain net/http on it, the peer's identity from
// the kernel in every request's context, a version header both sides
// check, errors as a JSON envelope carrying the sentence and its kind, and
// newline-delimited JSON for live streams.
//
// What a service serves, and who may call what, is the caller's business:
// this package only carries requests and says who sent them.
package localapi
