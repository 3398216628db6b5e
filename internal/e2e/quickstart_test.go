package e2e_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// readmeSection returns the fenced code blocks of the README section headed
// heading.
func readmeSection(t *testing.T, heading string) [][]string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n## "+heading+"\n")
	if i < 0 {
		t.Fatalf("README has no section %q", heading)
	}
	text = text[i+1:]
	if j := strings.Index(text[3:], "\n## "); j >= 0 {
		text = text[:j+3]
	}
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "```") {
			if in {
				blocks = append(blocks, cur)
				cur = nil
			}
			in = !in
			continue
		}
		if in {
			cur = append(cur, line)
		}
	}
	return blocks
}

// buildLine is how the README's set-up builds the binaries before it runs
// the worker: the examples run the built binaries, whose exit status is
// their own (go run reports 1 for any failure, and a signal to go run's
// process leaves the program running).
const buildLine = "go build -o bin/ ./cmd/... && "

// binArgs turns "bin/X a b  # comment" into X and [a b].
func binArgs(t *testing.T, line string) (string, []string) {
	t.Helper()
	if i := strings.Index(line, "#"); i >= 0 {
		line = line[:i]
	}
	f := strings.Fields(line)
	if len(f) < 1 || !strings.HasPrefix(f[0], "bin/") {
		t.Fatalf("not a bin/ line: %q", line)
	}
	return strings.TrimPrefix(f[0], "bin/"), f[1:]
}

var (
	commandIDs = regexp.MustCompile(`publish-[0-9a-f]{24}`)
	millis     = regexp.MustCompile(`\d+ ms\)`)
)

// normalize removes what differs between runs: generated ids and timings.
func normalize(s string) string {
	s = commandIDs.ReplaceAllString(s, "publish-ID")
	return millis.ReplaceAllString(s, "N ms)")
}

// The README's quickstart, as a newcomer runs it: the worker command from its
// first block, then every publish command of its console example, whose
// output and exit status must be what the README shows.
func TestReadmeQuickstart(t *testing.T) {
	blocks := readmeSection(t, "Quickstart")
	if len(blocks) < 2 {
		t.Fatalf("quickstart has %d code blocks, want the set-up block and the example", len(blocks))
	}
	setup := blocks[0]
	if len(setup) != 2 {
		t.Fatalf("quickstart set-up has %d commands, want 2 (run the worker; run the tests): %q", len(setup), setup)
	}
	run, ok := strings.CutPrefix(setup[0], buildLine)
	if !ok {
		t.Fatalf("first quickstart command %q does not start with %q", setup[0], buildLine)
	}
	name, args := binArgs(t, run)
	if name != "worker" {
		t.Fatalf("first quickstart command runs %s, want the worker", name)
	}
	testCmd := strings.TrimSpace(strings.SplitN(setup[1], "#", 2)[0])
	// CI runs the same command.
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil || testCmd != "go test -race -count=1 -timeout 30m ./..." || !strings.Contains(string(ci), testCmd) {
		t.Errorf("the README's test command %q is not what .ci/run runs", testCmd)
	}

	// The defaults would collide with a worker the developer has running;
	// only the ports differ from the README, chosen by the system as the
	// worker binds them.
	dir := t.TempDir()
	w := startWorker(t, dir, []string{
		"SEATKEEPER_EMBEDDED_LISTEN=127.0.0.1:0",
		"SEATKEEPER_HTTP_ADDR=127.0.0.1:0",
	}, args...)
	if w.find("SANDBOX MODE: every vendor is an in-process fake with a demo organisation; no real license is changed") == nil {
		t.Errorf("the sandbox does not announce itself in the log")
	}
	env := []string{"NATS_URL=" + w.natsURL(t)}

	steps := consoleSteps(t, blocks[1])
	if len(steps) < 3 {
		t.Fatalf("the README's example has %d publish commands, want several", len(steps))
	}
	for _, s := range steps {
		stdout, stderr, code := runPublish(t, env, s.args...)
		if got, want := normalize(stdout), normalize(s.output); got != want {
			t.Errorf("publish %s: output\n%s\nwant (README)\n%s\nstderr: %s", strings.Join(s.args, " "), got, want, stderr)
		}
		if code != s.exit {
			t.Errorf("publish %s: exit %d, want %d", strings.Join(s.args, " "), code, s.exit)
		}
	}

	if err := w.Stop(syscall.SIGINT, 30*time.Second); err != nil {
		t.Errorf("worker exit after SIGINT: %v, want 0", err)
	}
	if _, err := os.Stat(dir + "/data/jetstream"); err != nil {
		t.Errorf("embedded server kept no data in ./data: %v", err)
	}
}

type consoleStep struct {
	args   []string
	output string
	exit   int
}

// consoleSteps reads "$ bin/publish ..." lines with the output
// under them; "$ echo $?" gives the exit status of the step before (0
// otherwise).
func consoleSteps(t *testing.T, lines []string) []consoleStep {
	t.Helper()
	var steps []consoleStep
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if !strings.HasPrefix(line, "$ ") {
			continue
		}
		cmd := strings.TrimPrefix(line, "$ ")
		var out []string
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "$ ") {
			i++
			out = append(out, lines[i])
		}
		if cmd == "echo $?" {
			code, err := strconv.Atoi(strings.TrimSpace(strings.Join(out, "")))
			if err != nil || len(steps) == 0 {
				t.Fatalf("bad exit status line in README: %q", out)
			}
			steps[len(steps)-1].exit = code
			continue
		}
		name, args := binArgs(t, cmd)
		if name != "publish" {
			t.Fatalf("README example runs %s; only publish is expected there", name)
		}
		steps = append(steps, consoleStep{args: args, output: strings.Join(out, "\n") + "\n"})
	}
	return steps
}
