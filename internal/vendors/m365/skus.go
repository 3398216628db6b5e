package m365

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// sku names one subscribed SKU.
type sku struct {
	ID   string // skuId, lower case
	Part string // skuPartNumber
}

// guid matches a skuId written as a GUID.
var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// skuCache maps license codes to the tenant's SKUs. It is filled from
// subscribedSkus on first use and fetched again once when a code is missing
// (a SKU bought since), never on a timer.
type skuCache struct {
	load  func(context.Context) ([]subscribedSku, error)
	fetch chan struct{} // a one-slot lock that a context can give up on

	mu     sync.Mutex
	gen    int // number of loads so far
	byPart map[string]sku
	byID   map[string]sku
}

func newSKUCache(load func(context.Context) ([]subscribedSku, error)) *skuCache {
	return &skuCache{load: load, fetch: make(chan struct{}, 1)}
}

// resolve returns the SKU of every code, in order. A code that is a GUID
// is a skuId; any other is a part number, matched without regard to case.
// Codes still unknown after one refresh yield ErrLicenseNotFound.
func (s *skuCache) resolve(ctx context.Context, codes []string) ([]sku, error) {
	out, missing, gen := s.lookup(codes)
	if len(missing) == 0 {
		return out, nil
	}
	if err := s.refresh(ctx, gen); err != nil {
		return nil, err
	}
	if out, missing, _ = s.lookup(codes); len(missing) > 0 {
		return nil, vendors.Errorf(vendors.ErrLicenseNotFound, "resolve", 0,
			"the tenant has no subscription for %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// part returns the part number of skuId from the cache, if known.
func (s *skuCache) part(skuID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.byID[strings.ToLower(skuID)]
	return k.Part, ok
}

func (s *skuCache) lookup(codes []string) (found []sku, missing []string, gen int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	found = make([]sku, len(codes))
	for i, code := range codes {
		var k sku
		var ok bool
		if guid.MatchString(code) {
			k, ok = s.byID[strings.ToLower(code)]
		} else {
			k, ok = s.byPart[strings.ToUpper(code)]
		}
		if !ok {
			missing = append(missing, code)
		}
		found[i] = k
	}
	return found, missing, s.gen
}

// refresh loads the SKUs again unless another caller did since generation
// seen.
func (s *skuCache) refresh(ctx context.Context, seen int) error {
	select {
	case s.fetch <- struct{}{}:
		defer func() { <-s.fetch }()
	case <-ctx.Done():
		return &vendors.Error{Class: vendors.ErrTransient, Op: "subscribedSkus", Message: "gave up waiting for the SKU list", Err: ctx.Err()}
	}
	s.mu.Lock()
	fresh := s.gen != seen
	s.mu.Unlock()
	if fresh {
		return nil
	}
	skus, err := s.load(ctx)
	if err != nil {
		return err
	}
	s.store(skus)
	return nil
}

// store replaces the cache with skus.
func (s *skuCache) store(skus []subscribedSku) {
	byPart := make(map[string]sku, len(skus))
	byID := make(map[string]sku, len(skus))
	for _, w := range skus {
		k := sku{ID: strings.ToLower(w.SkuID), Part: w.SkuPartNumber}
		byPart[strings.ToUpper(w.SkuPartNumber)] = k
		byID[k.ID] = k
	}
	s.mu.Lock()
	s.byPart, s.byID = byPart, byID
	s.gen++
	s.mu.Unlock()
}

// partOf returns the part number of skuID, fetching the SKUs again once
// when the cache does not know it; a SKU unknown even then is named by its
// id.
func (s *skuCache) partOf(ctx context.Context, skuID string) (string, error) {
	if part, ok := s.part(skuID); ok {
		return part, nil
	}
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	if err := s.refresh(ctx, gen); err != nil {
		return "", err
	}
	if part, ok := s.part(skuID); ok {
		return part, nil
	}
	return strings.ToLower(skuID), nil
}
