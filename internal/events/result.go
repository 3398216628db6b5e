package events

import "time"

// Result is the outcome of one command, published on license.assigned,
// license.released, license.listed or license.failed.
type Result struct {
	SpecVersion     string     `json:"specversion"`
	Type            string     `json:"type"`
	Source          string     `json:"source"`
	ID              string     `json:"id"`
	Time            time.Time  `json:"time"`
	Subject         string     `json:"subject,omitempty"`
	DataContentType string     `json:"datacontenttype"`
	Data            ResultData `json:"data"`
}

// ResultData is the data of a Result.
type ResultData struct {
	CommandID     string `json:"command_id"`
	CommandSource string `json:"command_source,omitempty"`
	CommandType   string `json:"command_type,omitempty"`
	CommandSeq    uint64 `json:"command_seq,omitempty"`
	// RedriveOf repeats the command's redriveof attribute.
	RedriveOf string `json:"redrive_of,omitempty"`
	// CommandAuthID repeats the command's authid attribute: the credential
	// that sent it over HTTP, by name.
	CommandAuthID string `json:"command_authid,omitempty"`

	Vendor  string `json:"vendor,omitempty"`
	Account string `json:"account,omitempty"`
	User    string `json:"user,omitempty"`
	// Email and Person repeat the command's: a command that named an
	// e-mail carries both it and the user id it resolved to.
	Email    string          `json:"email,omitempty"`
	Person   string          `json:"person,omitempty"`
	Licenses []LicenseResult `json:"licenses,omitzero"`
	// Held is the user's license codes at the vendor after the command. It is
	// present (possibly empty) on every successful assign, release and
	// user list result.
	Held []string `json:"held,omitzero"`
	// Holdings details Held on list results: ids, types, expiry.
	Holdings []Holding `json:"holdings,omitzero"`
	// Pools answers a list without a user.
	Pools []Pool `json:"pools,omitzero"`
	// Until repeats an assign's until: when its seats are released.
	Until time.Time `json:"until,omitzero"`

	DryRun     bool  `json:"dry_run"`
	Attempts   int   `json:"attempts"`
	DurationMS int64 `json:"duration_ms"`

	// Error and Command are set on license.failed only.
	Error   *Error       `json:"error,omitempty"`
	Command *CommandData `json:"command,omitempty"`
}

// LicenseResult is the status of one requested license code.
type LicenseResult struct {
	Code   string `json:"code"`
	Status string `json:"status"`
	// Group names the vendor-side group or rule a license is held through
	// (status inherited), where the vendor tells.
	Group string `json:"group,omitempty"`
}

// Holding is one license a user holds, normalised across vendors.
type Holding struct {
	Code    string `json:"code"`
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Type    string `json:"type,omitempty"`
	Expires string `json:"expires,omitempty"`
	Trial   bool   `json:"trial,omitempty"`
	// Source is where the seat comes from: SourceDirect, or SourceGroup
	// for a seat held through a vendor-side group or rule (Group names it
	// where the vendor tells). Empty when the vendor does not say.
	Source string `json:"source,omitempty"`
	Group  string `json:"group,omitempty"`
	// LastUsed is the seat's last use as the vendor reports it; zero when
	// the vendor reports none.
	LastUsed time.Time `json:"last_used,omitzero"`
}

// Pool is one license pool of a vendor account.
type Pool struct {
	Code     string `json:"code"`
	Total    int    `json:"total"`
	Assigned int    `json:"assigned"`
	Free     int    `json:"free"`
	// Suspended and Warning count the units of a subscription that has
	// lapsed (suspended: they cannot be used) or is in its grace period
	// (warning: it lapses unless renewed), where the vendor tells.
	Suspended int `json:"suspended,omitempty"`
	Warning   int `json:"warning,omitempty"`
	// TotalUnknown is set when the vendor does not tell how many seats
	// the pool has (ArcGIS Online's user types): Total and Free are then
	// 0 and mean nothing, rather than an invented count.
	TotalUnknown bool `json:"total_unknown,omitempty"`
	// Trial marks a pool of trial licenses.
	Trial bool `json:"trial,omitempty"`
}

// Error is the error of a license.failed result.
type Error struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Retryable bool   `json:"retryable"`
}

// Codes returns the codes of holdings, in order.
func Codes(holdings []Holding) []string {
	codes := make([]string, len(holdings))
	for i, h := range holdings {
		codes[i] = h.Code
	}
	return codes
}

// NewResult returns a successful result of cmd with the envelope filled in.
func NewResult(cmd Command, seq uint64, at time.Time, data ResultData) Result {
	data.CommandID = cmd.ID
	data.CommandSource = cmd.Source
	data.CommandType = cmd.Type
	data.CommandSeq = seq
	data.RedriveOf = cmd.RedriveOf
	data.CommandAuthID = cmd.AuthID
	if data.Vendor == "" {
		data.Vendor = cmd.Data.Vendor
	}
	if data.Account == "" {
		data.Account = cmd.Data.Account
	}
	if data.User == "" {
		data.User = cmd.Data.User
	}
	data.Email, data.Person = cmd.Data.Email, cmd.Data.Person
	data.DryRun = cmd.Data.DryRun
	if cmd.Type == SubjectAssign {
		data.Until = cmd.Data.Until
	}
	return Result{
		SpecVersion:     SpecVersion,
		Type:            ResultSubjectFor(cmd.Type),
		Source:          ResultSource,
		ID:              ResultID(cmd.ID),
		Time:            at.UTC(),
		Subject:         resultSubject(data.Vendor, data.Account, data.User),
		DataContentType: DataContentType,
		Data:            data,
	}
}

// NewFailure returns the license.failed result of cmd. cmd may be only partly
// decoded; an empty id (a command too broken to carry one) is replaced by
// fallbackID so that the failure can still be published and deduplicated.
func NewFailure(cmd Command, seq uint64, at time.Time, fallbackID string, e Error, attempts int, elapsed time.Duration) Result {
	if cmd.ID == "" {
		cmd.ID = fallbackID
	}
	data := cmd.Data
	r := NewResult(cmd, seq, at, ResultData{Attempts: attempts, DurationMS: elapsed.Milliseconds()})
	r.Type = SubjectFailed
	r.Data.Error = &e
	r.Data.Command = &data
	return r
}

func resultSubject(vendor, account, user string) string {
	if vendor == "" {
		return ""
	}
	s := vendor + "/" + account
	if user != "" {
		s += "/" + user
	}
	return s
}
