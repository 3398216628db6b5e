package ingress

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks reference libraries' published test vector.
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorBody      = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestSignMatchesTheReferenceVector(t *testing.T) {
	got, err := Sign(vectorSecret, vectorID, vectorTimestamp, []byte(vectorBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != vectorSignature {
		t.Errorf("Sign = %s, want %s", got, vectorSignature)
	}
}

func webhookHeaders(id string, ts int64, sig string) http.Header {
	h := http.Header{}
	h.Set(headerWebhookID, id)
	h.Set(headerWebhookTimestamp, strconv.FormatInt(ts, 10))
	h.Set(headerWebhookSignature, sig)
	return h
}

func mustSecrets(t *testing.T, s string) []WebhookSecret {
	t.Helper()
	secrets, err := ParseSecrets(s)
	if err != nil {
		t.Fatal(err)
	}
	return secrets
}

func mustTokens(t *testing.T, s string) []Token {
	t.Helper()
	tokens, err := ParseTokens(s)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

const otherSecret = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGhlLXJvdGF0aW9uLXRlc3Q="

func TestWebhookSignature(t *testing.T) {
	a := newAuthenticator(nil, mustSecrets(t, "platform:"+vectorSecret+",bamboohr:"+otherSecret))
	now := time.Unix(vectorTimestamp, 0)
	other, _ := Sign(otherSecret, vectorID, vectorTimestamp, []byte(vectorBody))
	tests := []struct {
		name    string
		headers http.Header
		body    string
		now     time.Time
		want    string // credential name, or the error
	}{
		{"reference vector", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody, now, "platform"},
		{"second secret", webhookHeaders(vectorID, vectorTimestamp, other), vectorBody, now, "bamboohr"},
		{"one of several signatures", webhookHeaders(vectorID, vectorTimestamp,
			"v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw== v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= "+vectorSignature), vectorBody, now, "platform"},
		{"4m59s late", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody, now.Add(Tolerance - time.Second), "platform"},
		{"4m59s early", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody, now.Add(-Tolerance + time.Second), "platform"},
		{"body changed", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody + " ", now, errWebhookSignature.Error()},
		{"id changed", webhookHeaders("msg_other", vectorTimestamp, vectorSignature), vectorBody, now, errWebhookSignature.Error()},
		{"unknown secret", webhookHeaders(vectorID, vectorTimestamp, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="), vectorBody, now, errWebhookSignature.Error()},
		{"v2 only", webhookHeaders(vectorID, vectorTimestamp, "v2,"+strings.TrimPrefix(vectorSignature, "v1,")), vectorBody, now, errWebhookSignature.Error()},
		{"10 minutes late", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody, now.Add(10 * time.Minute), errWebhookSkew.Error()},
		{"10 minutes early", webhookHeaders(vectorID, vectorTimestamp, vectorSignature), vectorBody, now.Add(-10 * time.Minute), errWebhookSkew.Error()},
		{"timestamp not canonical", func() http.Header {
			h := webhookHeaders(vectorID, vectorTimestamp, vectorSignature)
			h.Set(headerWebhookTimestamp, "0"+strconv.Itoa(vectorTimestamp))
			return h
		}(), vectorBody, now, errWebhookTimestamp.Error()},
		{"no timestamp", func() http.Header {
			h := webhookHeaders(vectorID, vectorTimestamp, vectorSignature)
			h.Del(headerWebhookTimestamp)
			return h
		}(), vectorBody, now, errWebhookHeaders.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cred, msg, err := a.authenticate(tt.headers, []byte(tt.body), tt.now)
			got := cred.Name
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("authenticate = %q, want %q", got, tt.want)
			}
			if err == nil && (cred.Scheme != "webhook" || msg == nil || msg.ID != vectorID) {
				t.Errorf("credential %+v, delivery %+v: want scheme webhook and the delivery's id", cred, msg)
			}
		})
	}
}

func TestBearerTokens(t *testing.T) {
	a := newAuthenticator(mustTokens(t, "workday:tok-workday-0123456789,rotated:tok-rotated-0123456789"), nil)
	tests := []struct {
		auth string
		want string
	}{
		{"Bearer tok-workday-0123456789", "workday"},
		{"bearer tok-rotated-0123456789", "rotated"},
		{"Bearer tok-workday-012345678", errBadToken.Error()},
		{"Bearer tok-workday-0123456789x", errBadToken.Error()},
		{"Bearer ", errBadToken.Error()},
		{"Basic dG9rOnRvaw==", errBadScheme.Error()},
		{"tok-workday-0123456789", errBadScheme.Error()},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Authorization", tt.auth)
		cred, _, err := a.authenticate(h, nil, time.Now())
		got := cred.Name
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("authenticate(%q) = %q, want %q", tt.auth, got, tt.want)
		}
	}
	if _, _, err := a.authenticate(http.Header{}, nil, time.Now()); err != errNoCredentials {
		t.Errorf("no credentials: %v, want %v", err, errNoCredentials)
	}
	if _, _, err := a.authenticate(webhookHeaders(vectorID, vectorTimestamp, vectorSignature), []byte(vectorBody), time.Unix(vectorTimestamp, 0)); err != errNoSecrets {
		t.Errorf("a signature with no secret configured: %v, want %v", err, errNoSecrets)
	}
}

func TestParseCredentials(t *testing.T) {
	tests := []struct {
		name, in string
		tokens   []string // names, or nil for an error
	}{
		{"one bare token", "tok-0123456789abcdef", []string{"default"}},
		{"named, comma-separated", "a:tok-0123456789abcdef, b:tok-fedcba9876543210", []string{"a", "b"}},
		{"named, one a line", "a:tok-0123456789abcdef\nb:tok-fedcba9876543210\n", []string{"a", "b"}},
		{"empty", "", []string{}},
		{"too short", "a:short-token", nil},
		{"several, one unnamed", "a:tok-0123456789abcdef,tok-fedcba9876543210", nil},
		{"name twice", "a:tok-0123456789abcdef,a:tok-fedcba9876543210", nil},
		{"bad name", "a b:tok-0123456789abcdef", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tokens, err := ParseTokens(tt.in)
			if tt.tokens == nil {
				if err == nil {
					t.Fatalf("ParseTokens(%q) = %v, want an error", tt.in, tokens)
				}
				for _, v := range []string{"tok-0123456789abcdef", "tok-fedcba9876543210", "short-token"} {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error %q shows a token's value", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTokens(%q): %v", tt.in, err)
			}
			var names []string
			for _, tok := range tokens {
				names = append(names, tok.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.tokens, ",") {
				t.Errorf("names = %v, want %v", names, tt.tokens)
			}
		})
	}
	for _, bad := range []string{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!", "whsec_c2hvcnQ="} {
		if _, err := ParseSecrets("x:" + bad); err == nil || strings.Contains(err.Error(), bad) {
			t.Errorf("ParseSecrets(%q) error = %v, want one that does not show the value", bad, err)
		}
	}
}
