package events_test

import (
	"errors"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func ExampleDecodeCommand() {
	payload := []byte(`{
		"specversion": "1.0",
		"type": "license.assign",
		"source": "hr/workday",
		"id": "wd-evt-000017",
		"time": "2026-11-24T09:00:00Z",
		"data": {"vendor": "uipath", "user": "singer-77", "licenses": ["RPADEVNU", "ATTUNU"]}
	}`)
	cmd, err := events.DecodeCommand(events.SubjectAssign, payload)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cmd.ID, cmd.Time.Format("2006-01-02 15:04"), cmd.Data.Vendor, cmd.Data.User, cmd.Data.Licenses)

	// A refused command says why, with the code of its license.failed result.
	_, err = events.DecodeCommand(events.SubjectAssign, []byte(`{
		"specversion": "1.0", "type": "license.assign", "source": "hr/workday", "id": "wd-evt-000018",
		"data": {"vendor": "oracle", "user": "singer-78", "licenses": ["DB-EE"]}
	}`))
	var verr *events.ValidationError
	if errors.As(err, &verr) {
		fmt.Println(verr.Code+":", verr.Message)
	}
	// Output:
	// wd-evt-000017 2026-11-24 09:00 uipath singer-77 [RPADEVNU ATTUNU]
	// unknown_vendor: data.vendor "oracle" is not one of uipath, msp360, licensespring, arcgis, m365
}
