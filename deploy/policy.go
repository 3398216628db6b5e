package deploy

import _ "embed"

// PolicyExample is policy.example.yaml, the policy the sandbox worker loads
// when SEATKEEPER_POLICY_FILE is not set.
//
//go:embed policy.example.yaml
var PolicyExample []byte
