package events

// Per-license statuses in a result.
const (
	StatusAssigned          = "assigned"
	StatusAlreadyAssigned   = "already_assigned"
	StatusReleased          = "released"
	StatusNotAssigned       = "not_assigned"
	StatusWouldAssign       = "would_assign"
	StatusWouldRelease      = "would_release"
	StatusSkippedSuperseded = "skipped_superseded"
	// StatusInherited: the user holds the license through a vendor-side
	// group or rule. It cannot be released from the user and the seat stays
	// taken; the result names the group where the vendor tells.
	StatusInherited = "inherited"
)

// Where a held license comes from (Holding.Source).
const (
	SourceDirect = "direct"
	SourceGroup  = "group"
)

// Stable error codes carried by license.failed results.
const (
	CodeInvalidCommand      = "invalid_command"
	CodeUnknownVendor       = "unknown_vendor"
	CodeVendorNotConfigured = "vendor_not_configured"
	CodeUnknownAccount      = "unknown_account"
	CodeUserNotFound        = "user_not_found"
	CodeLicenseNotFound     = "license_not_found"
	CodeCapacityExhausted   = "capacity_exhausted"
	CodeAccountNotLicensed  = "account_not_licensed"
	CodeAuthFailed          = "auth_failed"
	CodeForbidden           = "forbidden"
	CodeVendorRejected      = "vendor_rejected"
	CodeRetriesExhausted    = "retries_exhausted"
	// CodeIdempotencyConflict: the command id was already used for a
	// command with another meaning; the vendor is not called.
	CodeIdempotencyConflict = "idempotency_conflict"
	// CodeAmbiguousUser: an e-mail matched several users at the vendor.
	CodeAmbiguousUser = "ambiguous_user"
	// CodeInternalError: the worker itself failed (a panic); the log has
	// the stack.
	CodeInternalError = "internal_error"
)

// ErrorCodes lists every stable error code.
var ErrorCodes = []string{
	CodeInvalidCommand, CodeUnknownVendor, CodeVendorNotConfigured, CodeUnknownAccount,
	CodeUserNotFound, CodeLicenseNotFound, CodeCapacityExhausted, CodeAccountNotLicensed,
	CodeAuthFailed, CodeForbidden, CodeVendorRejected, CodeRetriesExhausted,
	CodeIdempotencyConflict, CodeAmbiguousUser, CodeInternalError,
	CodeSchedulingUnavailable,
}
