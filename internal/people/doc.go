// Package people turns HR facts about people (joined, changed, left) into
// license commands through a policy: CEL rules over the person's attributes
// that grant license codes per vendor. It is NATS-free: the consumer package
// reads the events and the person's stored record, calls Reconcile, and
// publishes what it returns.
package people
