package natsconn

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nats://127.0.0.1:4222", "nats://127.0.0.1:4222"},
		{"nats://alice:hunter2@n1:4222,nats://tok3n@n2:4222", "nats://redacted@n1:4222,nats://redacted@n2:4222"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := (Config{Cert: "c.pem"}).Validate(); err == nil || !strings.Contains(err.Error(), "NATS_KEY") {
		t.Errorf("cert without key: err = %v, want one naming NATS_KEY", err)
	}
	if err := (Config{Password: "x"}).Validate(); err == nil || strings.Contains(err.Error(), "x") && !strings.Contains(err.Error(), "NATS_USER") {
		t.Errorf("password without user: err = %v", err)
	}
}
