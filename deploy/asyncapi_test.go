package deploy

import (
	"encoding/json"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// asyncAPI is the part of an AsyncAPI 3.0 document the test reads.
type asyncAPI struct {
	AsyncAPI string `yaml:"asyncapi"`
	Channels map[string]struct {
		Address  string                       `yaml:"address"`
		Messages map[string]map[string]string `yaml:"messages"`
	} `yaml:"channels"`
	Operations map[string]struct {
		Action  string            `yaml:"action"`
		Channel map[string]string `yaml:"channel"`
	} `yaml:"operations"`
	Components struct {
		Messages map[string]struct {
			ContentType string `yaml:"contentType"`
			Payload     struct {
				SchemaFormat string            `yaml:"schemaFormat"`
				Schema       map[string]string `yaml:"schema"`
			} `yaml:"payload"`
		} `yaml:"messages"`
	} `yaml:"components"`
}

func TestAsyncAPIMatchesTheCode(t *testing.T) {
	b, err := os.ReadFile("../docs/asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc asyncAPI
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docs/asyncapi.yaml: %v", err)
	}
	if doc.AsyncAPI != "3.0.0" {
		t.Errorf("asyncapi %q, want 3.0.0", doc.AsyncAPI)
	}
	wantMessage := make(map[string]string)
	for _, s := range events.CommandSubjects {
		wantMessage[s] = "#/components/messages/command"
	}
	for _, s := range events.ResultSubjects {
		wantMessage[s] = "#/components/messages/result"
	}
	for _, s := range events.PersonSubjects {
		wantMessage[s] = "#/components/messages/person"
	}
	for _, s := range events.PersonResultSubjects {
		wantMessage[s] = "#/components/messages/personResult"
	}
	for _, s := range events.LifecycleSubjects {
		wantMessage[s] = "#/components/messages/" + strings.TrimPrefix(s, "license.")
	}
	sent := slices.Concat(events.CommandSubjects, events.PersonSubjects)
	actions := make(map[string]string)
	for _, op := range doc.Operations {
		actions[strings.TrimPrefix(op.Channel["$ref"], "#/channels/")] = op.Action
	}
	var addresses []string
	for name, ch := range doc.Channels {
		addresses = append(addresses, ch.Address)
		want, ok := wantMessage[ch.Address]
		if !ok {
			t.Errorf("channel %s: address %q is not a subject of the code", name, ch.Address)
			continue
		}
		if len(ch.Messages) != 1 {
			t.Errorf("channel %s: %d messages, want 1", name, len(ch.Messages))
		}
		for _, m := range ch.Messages {
			if m["$ref"] != want {
				t.Errorf("channel %s carries %q, want %q", name, m["$ref"], want)
			}
		}
		wantAction := "receive"
		if slices.Contains(sent, ch.Address) {
			wantAction = "send"
		}
		if actions[name] != wantAction {
			t.Errorf("channel %s: operation %q, want %q", name, actions[name], wantAction)
		}
	}
	slices.Sort(addresses)
	all := slices.Concat(events.CommandSubjects, events.ResultSubjects, events.PersonSubjects, events.PersonResultSubjects, events.LifecycleSubjects)
	slices.Sort(all)
	if !slices.Equal(addresses, all) {
		t.Errorf("channel addresses %v, want the code's subjects %v", addresses, all)
	}
	schemaFile := map[string]string{"command": "command", "result": "result", "person": "person", "personResult": "person-result",
		"pool_low": "pool_low", "reclaimed": "reclaimed", "reclaim_warning": "reclaim_warning"}
	for _, name := range []string{"command", "result", "person", "personResult", "pool_low", "reclaimed", "reclaim_warning"} {
		m, ok := doc.Components.Messages[name]
		if !ok {
			t.Errorf("message %s is missing", name)
			continue
		}
		if m.ContentType != events.ContentType {
			t.Errorf("message %s: contentType %q, want %q", name, m.ContentType, events.ContentType)
		}
		ref := m.Payload.Schema["$ref"]
		if want := "./schema/" + schemaFile[name] + ".schema.json"; ref != want {
			t.Errorf("message %s: payload $ref %q, want %q", name, ref, want)
		}
		schema, err := os.ReadFile(path.Join("../docs", ref))
		if err != nil {
			t.Errorf("message %s: %v", name, err)
			continue
		}
		var s struct {
			Schema string `json:"$schema"`
		}
		if err := json.Unmarshal(schema, &s); err != nil {
			t.Errorf("message %s: %s does not parse: %v", name, ref, err)
		}
		if !strings.Contains(m.Payload.SchemaFormat, "draft-2020-12") || !strings.Contains(s.Schema, "2020-12") {
			t.Errorf("message %s: schemaFormat %q for a schema of %q", name, m.Payload.SchemaFormat, s.Schema)
		}
	}
}
