package handlers

import (
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Holder is one seat holder: a user at one vendor account, in the one
// canonical spelling that names its lane, its ledger entry and its hold.
type Holder struct {
	Vendor, Account, User string
}

// Key returns the holder's ledger key (see LedgerKey).
func (s Holder) Key() string { return LedgerKey(s.Vendor, s.Account, s.User) }

// caseSensitive lists the vendors whose account and user ids differ by
// case. Elsewhere ids are GUIDs, e-mail addresses or user principal names,
// which their vendors compare without regard to case.
var caseSensitive = map[string]bool{
	// ArcGIS usernames keep their case on Enterprise portals.
	"arcgis": true,
}

// canonical returns the seat holder of cmd, whose account must already be
// resolved (the vendor's default filled in).
func canonical(cmd events.Command) Holder {
	s := Holder{Vendor: cmd.Data.Vendor, Account: strings.TrimSpace(cmd.Data.Account), User: strings.TrimSpace(cmd.Data.User)}
	if !caseSensitive[s.Vendor] {
		s.Account, s.User = strings.ToLower(s.Account), strings.ToLower(s.User)
	}
	return s
}

// meaning returns cmd as its digest sees it: account resolved, user
// canonical.
func meaning(cmd events.Command) events.Command {
	s := canonical(cmd)
	cmd.Data.Account, cmd.Data.User = s.Account, s.User
	return cmd
}
