// Package handlers turns one validated license command into one result, with
// the guarantees of docs/design.md §4: a command id is processed once, ever
// (the same id with another meaning is an idempotency conflict); commands are
// ordered per seat; one replica at a time changes a user, under a hold it can
// show is its own; the vendor is called with backoff; the result is stored
// before it is returned so that any later delivery replays it unchanged.
//
// Handlers know nothing of NATS. The JetStream glue (decoding, acking,
// publishing) lives in package consumer, which gives a Handler two Stores
// (the idempotency bucket and the ledger) and turns its errors into ack
// decisions. Tests drive a Handler with in-memory stores and a fake Clock.
package handlers
