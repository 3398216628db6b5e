package m365_test

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// The adapter pointed at the fake's demo tenant, as worker -sandbox does.
func ExampleNew() {
	fake := m365test.New(m365test.Options{Demo: true})
	defer fake.Close()

	c, err := m365.New(m365.Config{
		TenantID:     m365test.TenantID,
		ClientID:     m365test.ClientID,
		ClientSecret: config.Secret(m365test.ClientSecret),
		LoginURL:     fake.URL,
		GraphURL:     fake.URL,
		RateLimit:    10,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	out, err := c.Assign(ctx, vendors.Request{User: m365test.DemoAlex, Licenses: []string{"SPE_E3"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.Licenses, events.Codes(out.Held))

	_, err = c.Assign(ctx, vendors.Request{User: m365test.DemoLee, Licenses: []string{"SPE_E3"}})
	fmt.Println(vendors.Code(err))

	// Diego holds POWER_BI_PRO directly and ENTERPRISEPACK from a group:
	// releasing everything releases the one and reports the other.
	out, err = c.Release(ctx, vendors.Request{User: m365test.DemoDiego})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range out.Licenses {
		fmt.Println(l.Code, l.Status, l.Group)
	}
	// Output:
	// [{SPE_E3 assigned }] [SPE_E3]
	// vendor_rejected
	// ENTERPRISEPACK inherited 3f6c2a1e-8b4d-4e7f-9a0c-5d2e1b3c4f6a
	// POWER_BI_PRO released
}
