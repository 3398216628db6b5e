package vendors_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// named is a Vendor that only has a name: the Registry calls nothing else.
type named string

func (n named) Name() string           { return string(n) }
func (n named) DefaultAccount() string { return "" }
func (n named) Assign(context.Context, vendors.Request) (vendors.Outcome, error) {
	return vendors.Outcome{}, nil
}
func (n named) Release(context.Context, vendors.Request) (vendors.Outcome, error) {
	return vendors.Outcome{}, nil
}
func (n named) List(context.Context, string, string) ([]events.Holding, error) { return nil, nil }
func (n named) Pools(context.Context, string) ([]events.Pool, error)           { return nil, nil }

func TestRegistryGet(t *testing.T) {
	reg := vendors.NewRegistry(named("uipath"), named("m365"))
	for _, tc := range []struct {
		name      string
		vendor    string
		wantClass error
		wantCode  string
	}{
		{"configured", "uipath", nil, ""},
		{"known but not configured", "arcgis", vendors.ErrNotConfigured, events.CodeVendorNotConfigured},
		{"unknown", "oracle", vendors.ErrUnknownVendor, events.CodeUnknownVendor},
		{"empty", "", vendors.ErrUnknownVendor, events.CodeUnknownVendor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := reg.Get(tc.vendor)
			if tc.wantClass == nil {
				if err != nil || v == nil || v.Name() != tc.vendor {
					t.Fatalf("Get(%q) = %v, %v; want the vendor", tc.vendor, v, err)
				}
				return
			}
			if v != nil {
				t.Errorf("Get(%q) returned a vendor with an error", tc.vendor)
			}
			if !errors.Is(err, tc.wantClass) {
				t.Errorf("Get(%q) error = %v, want class %v", tc.vendor, err, tc.wantClass)
			}
			if got := vendors.Code(err); got != tc.wantCode {
				t.Errorf("Code = %q, want %q", got, tc.wantCode)
			}
			if vendors.Retryable(err) {
				t.Errorf("Get(%q) error is retryable, want permanent", tc.vendor)
			}
		})
	}
}

func TestRegistryNamesSorted(t *testing.T) {
	reg := vendors.NewRegistry(named("uipath"), named("arcgis"), named("m365"))
	reg.Register(named("licensespring"))
	reg.Register(named("arcgis")) // replaces, does not duplicate
	want := []string{"arcgis", "licensespring", "m365", "uipath"}
	if got := reg.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if got := vendors.NewRegistry().Names(); len(got) != 0 {
		t.Errorf("empty registry Names() = %v, want none", got)
	}
}

func TestRegistryEveryKnownVendorResolves(t *testing.T) {
	reg := vendors.NewRegistry()
	for _, name := range events.Vendors {
		if _, err := reg.Get(name); !errors.Is(err, vendors.ErrNotConfigured) {
			t.Errorf("Get(%q) on an empty registry = %v, want ErrNotConfigured", name, err)
		}
	}
}
