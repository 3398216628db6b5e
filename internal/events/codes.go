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
)

// ErrorCodes lists every stable error code.
var ErrorCodes = []string{
	CodeInvalidCommand, CodeUnknownVendor, CodeVendorNotConfigured, CodeUnknownAccount,
	CodeUserNotFound, CodeLicenseNotFound, CodeCapacityExhausted, CodeAccountNotLicensed,
	CodeAuthFailed, CodeForbidden, CodeVendorRejected, CodeRetriesExhausted,
}
