// Package consumer is the JetStream glue between the command stream and the
// NATS-free handlers: it creates the streams, consumer and buckets, pulls
// commands into a bounded pool with one lane per (vendor, account, user),
// decodes them, hands them to the handler, publishes each result and only
// then acks the command.
package consumer
