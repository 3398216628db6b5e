package ingress

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a webhook-timestamp may be from the server's clock,
// either way: the Standard Webhooks reference libraries' five minutes.
const Tolerance = 5 * time.Minute

// Standard Webhooks headers.
const (
	headerWebhookID        = "webhook-id"
	headerWebhookTimestamp = "webhook-timestamp"
	headerWebhookSignature = "webhook-signature"
)

// Why a request did not authenticate. Each says what was wrong with the
// request, never what the right credential would have been.
var (
	errNoCredentials     = errors.New("no credentials: send Authorization: Bearer or a Standard Webhooks signature")
	errBadScheme         = errors.New("the Authorization header is not a Bearer token")
	errBadToken          = errors.New("the bearer token is not accepted")
	errNoTokens          = errors.New("bearer tokens are not accepted here: sign with the webhook secret")
	errNoSecrets         = errors.New("webhook signatures are not accepted here: send a bearer token")
	errWebhookHeaders    = errors.New("webhook-id, webhook-timestamp and webhook-signature must all be set")
	errWebhookTimestamp  = errors.New("webhook-timestamp is not an integer number of seconds since 1970")
	errWebhookSkew       = errors.New("webhook-timestamp is more than 5 minutes from the server's clock")
	errWebhookSignature  = errors.New("no v1 signature in webhook-signature matches the body")
	errWebhookIDTooLong  = errors.New("webhook-id is longer than 256 bytes")
	errWebhookIDReplayed = errors.New("this webhook-id and webhook-timestamp were already accepted: a replay")
)

// Credential is who sent a request: the scheme and the configured name of
// the token or secret. Its AuthID goes into the audit trail.
type Credential struct {
	Scheme string // "bearer" or "webhook"
	Name   string
}

// AuthID is the credential as the events' authid attribute carries it.
func (c Credential) AuthID() string { return c.Scheme + ":" + c.Name }

// Delivery identifies a verified webhook delivery, for replay refusal.
type Delivery struct {
	ID        string
	Timestamp string
}

// authenticator checks bearer tokens and webhook signatures.
type authenticator struct {
	tokens  []Token
	digests [][sha256.Size]byte // of the tokens, compared in constant time
	secrets []WebhookSecret
}

func newAuthenticator(tokens []Token, secrets []WebhookSecret) *authenticator {
	a := &authenticator{tokens: tokens, secrets: secrets}
	for _, t := range tokens {
		a.digests = append(a.digests, sha256.Sum256([]byte(t.value)))
	}
	return a
}

// authenticate returns who sent the request with body, and for a webhook
// signature the message to refuse replays of.
func (a *authenticator) authenticate(h http.Header, body []byte, now time.Time) (Credential, *Delivery, error) {
	if auth := h.Get("Authorization"); auth != "" {
		c, err := a.bearer(auth)
		return c, nil, err
	}
	if h.Get(headerWebhookSignature) != "" || h.Get(headerWebhookID) != "" {
		return a.webhook(h, body, now)
	}
	return Credential{}, nil, errNoCredentials
}

// bearer compares the token with every configured one, in constant time
// and without stopping at a match, so that timing tells neither the token
// nor which one matched. Digests make the compared lengths equal.
func (a *authenticator) bearer(auth string) (Credential, error) {
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Credential{}, errBadScheme
	}
	if len(a.tokens) == 0 {
		return Credential{}, errNoTokens
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := -1
	for i := range a.digests {
		if subtle.ConstantTimeCompare(got[:], a.digests[i][:]) == 1 {
			match = i
		}
	}
	if match < 0 {
		return Credential{}, errBadToken
	}
	return Credential{Scheme: "bearer", Name: a.tokens[match].Name}, nil
}

// webhook verifies a Standard Webhooks signature: HMAC-SHA256 keyed with
// the secret over "<webhook-id>.<webhook-timestamp>.<body>", any of the
// space-separated "v1,<base64>" entries matching any configured secret.
func (a *authenticator) webhook(h http.Header, body []byte, now time.Time) (Credential, *Delivery, error) {
	if len(a.secrets) == 0 {
		return Credential{}, nil, errNoSecrets
	}
	id, ts, sigs := h.Get(headerWebhookID), h.Get(headerWebhookTimestamp), h.Get(headerWebhookSignature)
	if id == "" || ts == "" || sigs == "" {
		return Credential{}, nil, errWebhookHeaders
	}
	if len(id) > 256 {
		return Credential{}, nil, errWebhookIDTooLong
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	// Only the canonical form: the reference libraries sign the number as
	// they format it, so "+1674087231" or "01674087231" could never verify.
	if err != nil || strconv.FormatInt(sec, 10) != ts {
		return Credential{}, nil, errWebhookTimestamp
	}
	if d := now.Sub(time.Unix(sec, 0)); d > Tolerance || d < -Tolerance {
		return Credential{}, nil, errWebhookSkew
	}
	for _, s := range a.secrets {
		want := sign(s.key, id, ts, body)
		for _, entry := range strings.Fields(sigs) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != "v1" {
				continue // v1a (asymmetric) and future versions: not ours to check
			}
			got, err := base64.StdEncoding.DecodeString(sig)
			if err == nil && hmac.Equal(got, want) {
				return Credential{Scheme: "webhook", Name: s.Name}, &Delivery{ID: id, Timestamp: ts}, nil
			}
		}
	}
	return Credential{}, nil, errWebhookSignature
}

// sign returns the HMAC-SHA256 of a Standard Webhooks message.
func sign(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Sign returns the webhook-signature header value a sender holding secret
// (in its whsec_ form) sends with body: what the README's example and the
// tests compute, and what a sender's library computes.
func Sign(secret, id string, timestamp int64, body []byte) (string, error) {
	s, err := ParseSecrets("s:" + secret)
	if err != nil {
		return "", err
	}
	mac := sign(s[0].key, id, strconv.FormatInt(timestamp, 10), body)
	return "v1," + base64.StdEncoding.EncodeToString(mac), nil
}
