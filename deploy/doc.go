// Package deploy holds seatkeeper's Docker Compose deployment (compose.yaml,
// the NATS configurations) and the AsyncAPI description's checks; its tests
// hold both to the code, since no Docker engine runs in CI.
package deploy
