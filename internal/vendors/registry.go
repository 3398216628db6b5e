package vendors

import (
	"fmt"
	"sort"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Registry holds the configured vendors by name.
type Registry struct {
	vendors map[string]Vendor
}

// NewRegistry returns a registry holding vs.
func NewRegistry(vs ...Vendor) *Registry {
	r := &Registry{vendors: make(map[string]Vendor)}
	for _, v := range vs {
		r.Register(v)
	}
	return r
}

// Register adds v, replacing any vendor of the same name.
func (r *Registry) Register(v Vendor) { r.vendors[v.Name()] = v }

// Get returns the vendor called name. A vendor seatkeeper knows but that has
// no configuration yields ErrNotConfigured; a name it does not know,
// ErrUnknownVendor.
func (r *Registry) Get(name string) (Vendor, error) {
	if v, ok := r.vendors[name]; ok {
		return v, nil
	}
	if events.KnownVendor(name) {
		return nil, &Error{Class: ErrNotConfigured, Op: name,
			Message: fmt.Sprintf("vendor %q has no configuration on this worker", name)}
	}
	return nil, &Error{Class: ErrUnknownVendor, Op: name, Message: fmt.Sprintf("%q is not one of %s", name, strings.Join(events.Vendors, ", "))}
}

// Names returns the configured vendors' names, sorted.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.vendors))
	for n := range r.vendors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
