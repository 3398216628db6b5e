package events

import "time"

// Command is a license command: a CloudEvents 1.0 event in structured JSON mode
// published on license.assign, license.release or license.list.
type Command struct {
	SpecVersion     string    `json:"specversion"`
	Type            string    `json:"type"`
	Source          string    `json:"source"`
	ID              string    `json:"id"`
	Time            time.Time `json:"time,omitzero"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	// RedriveOf is a CloudEvents extension attribute: the id of the failed
	// command this one re-submits.
	RedriveOf string `json:"redriveof,omitempty"`
	// AuthType and AuthID are the CloudEvents Auth Context extension: who
	// sent the command. The HTTP ingress sets them to "api_key" and the
	// credential's configured name (never its value), e.g. "webhook:bamboohr".
	AuthType string      `json:"authtype,omitempty"`
	AuthID   string      `json:"authid,omitempty"`
	Data     CommandData `json:"data"`
}

// CommandData is the data of a Command.
type CommandData struct {
	Vendor  string `json:"vendor"`
	Account string `json:"account,omitempty"`
	User    string `json:"user,omitempty"`
	// Email stands in for User: the worker finds the vendor's user id from
	// it through the vendor's directory, and the result carries both.
	Email string `json:"email,omitempty"`
	// Person is the HR id of the person a command was derived for (a person
	// event's data.person); it is carried into the result for the audit.
	Person   string   `json:"person,omitempty"`
	Licenses []string `json:"licenses,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	DryRun   bool     `json:"dry_run,omitempty"`
	// Until, on an assign, is when the seats it assigns are released by
	// themselves (docs/design.md §11); zero for no end.
	Until time.Time `json:"until,omitzero"`
	// InactiveDays, WarnDays and Exempt are a license.reclaim's: seats
	// unused for more than InactiveDays are warned about and released
	// WarnDays later; Exempt users' seats never are.
	InactiveDays int      `json:"inactive_days,omitempty"`
	WarnDays     int      `json:"warn_days,omitempty"`
	Exempt       []string `json:"exempt,omitempty"`
}

// NewCommand returns a command of type typ (one of the command subjects) with
// the envelope fields filled in.
func NewCommand(typ, source, id string, at time.Time, data CommandData) Command {
	return Command{
		SpecVersion:     SpecVersion,
		Type:            typ,
		Source:          source,
		ID:              id,
		Time:            at.UTC(),
		DataContentType: DataContentType,
		Data:            data,
	}
}
