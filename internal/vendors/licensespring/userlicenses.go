package licensespring

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// userLicense is one entry of the License API v4 user_licenses answer. The
// documented example wraps each license as {"license": {...}, "user": {...}};
// the documented schema lists the license objects themselves. Both are read.
type userLicense struct {
	License *license `json:"license"`
}

// ParseUserLicenses reads the answer of the License API's
// GET /api/v4/user_licenses (a JSON array) into holdings, in order: Code is
// the license id, Name the product short code, Type the license type,
// Expires the validity period (empty when null) and Trial is_trial. The
// entries' user objects, and anything credential-like in them, are ignored.
func ParseUserLicenses(data []byte) ([]events.Holding, error) {
	var entries []json.RawMessage
	if err := json.Unmarshal(data, &entries); err != nil {
		return nil, fmt.Errorf("licensespring: parse user_licenses: %w", err)
	}
	held := make([]events.Holding, 0, len(entries))
	for i, raw := range entries {
		l, err := parseUserLicense(raw)
		if err != nil {
			return nil, fmt.Errorf("licensespring: parse user_licenses entry %d: %w", i, err)
		}
		held = append(held, l.holding())
	}
	return held, nil
}

func parseUserLicense(raw json.RawMessage) (license, error) {
	var wrapped userLicense
	if err := json.Unmarshal(raw, &wrapped); err != nil {
		return license{}, err
	}
	l := wrapped.License
	if l == nil {
		l = new(license)
		if err := json.Unmarshal(raw, l); err != nil {
			return license{}, err
		}
	}
	if l.ID == 0 {
		return license{}, errors.New("no license id")
	}
	return *l, nil
}
