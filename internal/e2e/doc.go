// Package e2e tests seatkeeper's binaries as an operator runs them: the
// worker as a real subprocess (killed, restarted, stopped), the publish tool
// against it, and the README's quickstart, literally.
package e2e
