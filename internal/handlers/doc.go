// Package handlers turns one validated license command into one result, with
// the guarantees of docs/design.md §4: a command id is processed once, ever; the
// vendor is called with backoff; the result is stored before it is returned
// so that any later delivery replays it unchanged.
//
// Handlers know nothing of NATS. The JetStream glue (decoding, acking,
// publishing) lives in package consumer, which gives a Handler a Store (the
// idempotency bucket) and turns its errors into ack decisions.
package handlers
