// Package ingress is seatkeeper's HTTP front door: POST /v1/events takes
// CloudEvents over HTTP (structured, batched and binary mode), authenticates
// the caller (a bearer token or a Standard Webhooks signature), validates
// each event with the same decoder the worker uses, and publishes it on
// JetStream with Nats-Msg-Id = the event id (docs/design.md §12).
//
// The package knows JetStream only through two small interfaces it declares,
// Publisher and ReplayGuard; their JetStream implementations are in
// jetstream.go.
package ingress
