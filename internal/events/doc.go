// Package events is seatkeeper's wire contract: the CloudEvents 1.0 envelope of
// commands and results, the subjects, streams and buckets they travel through,
// the stable error codes, and the validation every command passes before a
// handler sees it. It imports nothing else of seatkeeper's.
package events
