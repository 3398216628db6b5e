package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/natsconn"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
)

// compose is the part of a Compose file the tests read.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       map[string]string `yaml:"build"`
	Profiles    []string          `yaml:"profiles"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	if err := yaml.Unmarshal(b, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	profiles := map[string][]string{
		"single":  {"nats", "worker"},
		"cluster": {"nats-1", "nats-2", "nats-3", "worker-1", "worker-2"},
	}
	var want []string
	for profile, names := range profiles {
		for _, name := range names {
			want = append(want, name)
			s, ok := c.Services[name]
			if !ok {
				t.Errorf("service %s is missing", name)
				continue
			}
			if !slices.Equal(s.Profiles, []string{profile}) {
				t.Errorf("service %s has profiles %v, want [%s]", name, s.Profiles, profile)
			}
			if len(s.Healthcheck.Test) == 0 {
				t.Errorf("service %s has no health check", name)
			}
		}
	}
	var got []string
	for name := range c.Services {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("services %v, want %v", got, want)
	}
	env, err := os.ReadFile(".env")
	if err != nil || !strings.Contains(string(env), "COMPOSE_PROFILES=single\n") {
		t.Errorf(".env does not make single the default profile (%v)", err)
	}
}

func TestComposeNATS(t *testing.T) {
	c := loadCompose(t)
	for name, conf := range map[string]string{"nats": "nats.conf", "nats-1": "nats-cluster.conf", "nats-2": "nats-cluster.conf", "nats-3": "nats-cluster.conf"} {
		s := c.Services[name]
		if !strings.HasPrefix(s.Image, "nats:") {
			t.Errorf("%s: image %q, want the official nats image", name, s.Image)
		}
		if want := []string{"--config", "/etc/nats/" + conf}; !slices.Equal(s.Command, want) {
			t.Errorf("%s: command %v, want %v", name, s.Command, want)
		}
		if !slices.Contains(s.Volumes, "./"+conf+":/etc/nats/"+conf+":ro") {
			t.Errorf("%s: %s is not mounted: %v", name, conf, s.Volumes)
		}
		data := dataVolume(s.Volumes)
		if _, ok := c.Volumes[data]; !ok {
			t.Errorf("%s: JetStream's /data is not on a named volume (%v)", name, s.Volumes)
		}
		if test := strings.Join(s.Healthcheck.Test, " "); !strings.Contains(test, ":8222/healthz") {
			t.Errorf("%s: health check %q does not ask the monitoring port's /healthz", name, test)
		}
		if strings.HasPrefix(name, "nats-") && s.Environment["NATS_SERVER_NAME"] != name {
			t.Errorf("%s: NATS_SERVER_NAME %q, want its service name", name, s.Environment["NATS_SERVER_NAME"])
		}
	}
	for _, conf := range []string{"nats.conf", "nats-cluster.conf"} {
		b, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, want := range []string{"store_dir: /data", "sync_interval: always", "http: 0.0.0.0:8222", "listen: 0.0.0.0:4222"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", conf, want)
			}
		}
		if conf == "nats-cluster.conf" {
			for _, want := range []string{"server_name: $NATS_SERVER_NAME", "nats://nats-1:6222", "nats://nats-2:6222", "nats://nats-3:6222"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q", conf, want)
				}
			}
		}
	}
}

func dataVolume(volumes []string) string {
	for _, v := range volumes {
		if name, ok := strings.CutSuffix(v, ":/data"); ok {
			return name
		}
	}
	return ""
}

func TestComposeWorkers(t *testing.T) {
	c := loadCompose(t)
	for name, want := range map[string]struct {
		replicas string
		nats     []string
	}{
		"worker":   {"1", []string{"nats"}},
		"worker-1": {"3", []string{"nats-1", "nats-2", "nats-3"}},
		"worker-2": {"3", []string{"nats-1", "nats-2", "nats-3"}},
	} {
		s := c.Services[name]
		if s.Build["context"] != ".." || s.Build["dockerfile"] != "Dockerfile" {
			t.Errorf("%s: build %v, want the repository's Dockerfile", name, s.Build)
		}
		env := s.Environment
		if env["SEATKEEPER_HTTP_ADDR"] != "0.0.0.0:9464" {
			t.Errorf("%s: SEATKEEPER_HTTP_ADDR %q, want 0.0.0.0:9464", name, env["SEATKEEPER_HTTP_ADDR"])
		}
		if env["SEATKEEPER_REPLICAS"] != want.replicas {
			t.Errorf("%s: SEATKEEPER_REPLICAS %q, want %s", name, env["SEATKEEPER_REPLICAS"], want.replicas)
		}
		var urls []string
		for u := range strings.SplitSeq(env["NATS_URL"], ",") {
			urls = append(urls, strings.TrimSuffix(strings.TrimPrefix(u, "nats://"), ":4222"))
		}
		slices.Sort(urls)
		if !slices.Equal(urls, want.nats) {
			t.Errorf("%s: NATS_URL %q, want every one of %v", name, env["NATS_URL"], want.nats)
		}
		for _, n := range want.nats {
			if s.DependsOn[n].Condition != "service_healthy" {
				t.Errorf("%s: does not wait for %s to be healthy", name, n)
			}
		}
		if !slices.Equal(s.Healthcheck.Test, []string{"CMD", "/usr/local/bin/healthcheck", "http://127.0.0.1:9464/readyz"}) {
			t.Errorf("%s: health check %v, want the healthcheck binary on /readyz", name, s.Healthcheck.Test)
		}
		if env["SEATKEEPER_WORKER_ID"] == "" {
			t.Errorf("%s: no stable SEATKEEPER_WORKER_ID", name)
		}
	}
	if c.Services["worker-1"].Environment["SEATKEEPER_WORKER_ID"] == c.Services["worker-2"].Environment["SEATKEEPER_WORKER_ID"] {
		t.Error("the two cluster workers share a worker id")
	}
}

// TestComposeEnvironmentIsRead checks that every variable the compose file
// gives a worker is one the worker reads, so that a typo cannot silently
// leave a setting at its default.
func TestComposeEnvironmentIsRead(t *testing.T) {
	known := workerEnvNames(t)
	for _, want := range []string{"SEATKEEPER_HTTP_ADDR", "SEATKEEPER_REPLICAS", "NATS_URL", "NATS_CREDS", "UIPATH_CLIENT_SECRET", "UIPATH_CLIENT_SECRET_FILE", "M365_TENANT_ID"} {
		if !known[want] {
			t.Fatalf("the names derived from the code lack %s: the derivation is broken", want)
		}
	}
	c := loadCompose(t)
	for name, s := range c.Services {
		if !strings.HasPrefix(name, "worker") {
			continue
		}
		for v := range s.Environment {
			if !known[v] {
				t.Errorf("%s sets %s, which the worker does not read", name, v)
			}
		}
	}
}

// workerEnvNames returns every variable the worker reads: its own Config
// (read from cmd/worker/config.go: it is package main), the NATS settings
// and each vendor's, under the prefix cmd/worker/vendors.go gives it, with
// NAME_FILE for every secret.
func workerEnvNames(t *testing.T) map[string]bool {
	t.Helper()
	names := make(map[string]bool)
	add := func(name string, secret bool) {
		names[name] = true
		if secret {
			names[name+"_FILE"] = true
		}
	}
	for _, f := range workerConfigFields(t) {
		add("SEATKEEPER_"+f.tag, f.secret)
	}
	addConfig(natsconn.Config{}, "NATS", add)
	adapters := map[string]any{
		"uipath": uipath.Config{}, "msp360": msp360.Config{}, "licensespring": licensespring.Config{},
		"arcgis": arcgis.Config{}, "m365": m365.Config{},
	}
	for pkg, prefix := range vendorPrefixes(t) {
		cfg, ok := adapters[pkg]
		if !ok {
			t.Fatalf("cmd/worker wires vendor package %s, which this test does not know: add its Config", pkg)
		}
		addConfig(cfg, prefix, add)
	}
	return names
}

var secretType = reflect.TypeFor[config.Secret]()

func addConfig(cfg any, prefix string, add func(string, bool)) {
	t := reflect.TypeOf(cfg)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("envconfig")
		if !f.IsExported() || tag == "" {
			continue
		}
		add(prefix+"_"+tag, f.Type == secretType)
	}
}

type configField struct {
	tag    string
	secret bool
}

// workerConfigFields reads the envconfig tags of cmd/worker's Config.
func workerConfigFields(t *testing.T) []configField {
	t.Helper()
	file := parseGo(t, "../cmd/worker/config.go")
	var fields []configField
	ast.Inspect(file, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok || ts.Name.Name != "Config" {
			return true
		}
		for _, f := range ts.Type.(*ast.StructType).Fields.List {
			if f.Tag == nil {
				continue
			}
			tag, _ := strconv.Unquote(f.Tag.Value)
			name := reflect.StructTag(tag).Get("envconfig")
			if name == "" {
				continue
			}
			sel, _ := f.Type.(*ast.SelectorExpr)
			fields = append(fields, configField{tag: name, secret: sel != nil && sel.Sel.Name == "Secret"})
		}
		return false
	})
	if len(fields) == 0 {
		t.Fatal("found no envconfig field in cmd/worker/config.go's Config")
	}
	return fields
}

// vendorPrefixes reads cmd/worker/vendors.go's spec("name", "PREFIX",
// pkg.New, ...) calls: adapter package -> environment prefix.
func vendorPrefixes(t *testing.T) map[string]string {
	t.Helper()
	file := parseGo(t, "../cmd/worker/vendors.go")
	out := make(map[string]string)
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 3 {
			return true
		}
		if fn, ok := call.Fun.(*ast.Ident); !ok || fn.Name != "spec" {
			return true
		}
		lit, ok1 := call.Args[1].(*ast.BasicLit)
		sel, ok2 := call.Args[2].(*ast.SelectorExpr)
		if !ok1 || !ok2 {
			return true
		}
		prefix, _ := strconv.Unquote(lit.Value)
		out[sel.X.(*ast.Ident).Name] = prefix
		return true
	})
	if len(out) == 0 {
		t.Fatal("found no spec(...) call in cmd/worker/vendors.go")
	}
	return out
}

func parseGo(t *testing.T, path string) *ast.File {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	var froms []string
	for line := range strings.Lines(text) {
		if f, ok := strings.CutPrefix(line, "FROM "); ok {
			froms = append(froms, strings.TrimSpace(f))
		}
	}
	if len(froms) < 2 {
		t.Errorf("Dockerfile has %d stages, want a build stage and a runtime stage", len(froms))
	} else if last := froms[len(froms)-1]; !strings.HasPrefix(last, "gcr.io/distroless/static") && last != "scratch" {
		t.Errorf("runtime base %q, want distroless static or scratch", last)
	}
	for _, want := range []string{"CGO_ENABLED=0", "USER nonroot", "./cmd/worker", "./deploy/healthcheck", "ENTRYPOINT [\"/usr/local/bin/worker\"]"} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{".git\n", "data\n", "deploy/seatkeeper.env\n"} {
		if !strings.Contains(string(ignore), want) {
			t.Errorf(".dockerignore lacks %q", want)
		}
	}
}
