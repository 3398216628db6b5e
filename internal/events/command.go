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
	RedriveOf string      `json:"redriveof,omitempty"`
	Data      CommandData `json:"data"`
}

// CommandData is the data of a Command.
type CommandData struct {
	Vendor   string   `json:"vendor"`
	Account  string   `json:"account,omitempty"`
	User     string   `json:"user,omitempty"`
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

// LaneKey identifies the (vendor, account, user) whose commands must be applied
// in order. Commands that name no user (pool listings) share the vendor's lane
// key with an empty user, which orders nothing of consequence.
func (c Command) LaneKey() string {
	return c.Data.Vendor + "\x00" + c.Data.Account + "\x00" + c.Data.User
}
