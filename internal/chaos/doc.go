// Package chaos holds failover tests only: seatkeeper under faults it must
// survive without losing or repeating work — a JetStream cluster node shut
// down and brought back under load, a NATS server process killed and
// restarted, worker replicas killed with SIGKILL.
//
// Each test runs a few thousand assign commands, one per user, against the
// UiPath fake, and ends with one line in a fixed format, which
// docs/reliability.md quotes:
//
//	scenario=<name> commands=N faults="..." results=N duplicates=0 lost=0 double_assignments=0
//
// results counts the results stored in LICENSE_EVENTS (the audit trail);
// duplicates, the stored results beyond one per command; lost, the commands
// without a stored result or whose seat is missing at the vendor;
// double_assignments, the users the vendor saw more than one applied
// allocation for.
package chaos
