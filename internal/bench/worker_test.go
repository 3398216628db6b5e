package bench_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// workerBinary builds cmd/worker once per run.
var workerBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "seatkeeper-bench-")
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "worker")
	cmd := exec.Command("go", "build", "-o", out, "../../cmd/worker")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return out, cmd.Run()
})

// process is the worker binary running, its log watched for one message.
type process struct {
	cmd   *exec.Cmd
	ready chan time.Time
	done  chan struct{}
	tail  bytes.Buffer // the last lines, for a failure message
}

// spawn starts the worker binary with env (and nothing else from the
// environment but PATH and HOME). Its ready channel receives the time the
// worker logged "ready".
func spawn(b *testing.B, env ...string) *process {
	b.Helper()
	bin, err := workerBinary()
	if err != nil {
		b.Fatalf("build the worker: %v", err)
	}
	p := &process{ready: make(chan time.Time, 1), done: make(chan struct{})}
	p.cmd = exec.Command(bin)
	p.cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go p.read(stdout)
	b.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *process) read(r io.Reader) {
	defer close(p.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := false
	for sc.Scan() {
		line := sc.Bytes()
		if !seen && bytes.Contains(line, []byte(`"msg":"ready"`)) {
			seen = true
			p.ready <- time.Now()
		}
		if bytes.Contains(line, []byte(`"level":"error"`)) || bytes.Contains(line, []byte(`"level":"fatal"`)) || !bytes.HasPrefix(line, []byte("{")) {
			if p.tail.Len() < 16<<10 {
				p.tail.Write(line)
				p.tail.WriteByte('\n')
			}
		}
	}
	_ = p.cmd.Wait()
}

// waitReady returns when the worker logged "ready".
func (p *process) waitReady(b *testing.B) time.Time {
	b.Helper()
	select {
	case t := <-p.ready:
		return t
	case <-p.done:
		b.Fatalf("worker exited before it was ready:\n%s", p.tail.String())
	case <-time.After(60 * time.Second):
		b.Fatal("worker not ready within 60s")
	}
	return time.Time{}
}

// stop sends SIGTERM and waits for the worker to exit.
func (p *process) stop(b *testing.B) {
	b.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		b.Fatal("worker did not stop within 60s of SIGTERM")
	}
}

// status reads a field (in kB) of the worker's /proc/<pid>/status.
func (p *process) status(field string) (int, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// workerEnv is the environment of a worker using the UiPath fake at url
// with no rate limit, its HTTP probes on a port the system chooses, logging
// at info level.
func workerEnv(b *testing.B, url string) []string {
	return []string{
		"SEATKEEPER_CONCURRENCY=" + strconv.Itoa(concurrency),
		"SEATKEEPER_HTTP_ADDR=127.0.0.1:0",
		"SEATKEEPER_WORKER_ID=bench-worker",
		"UIPATH_BASE_URL=" + url,
		"UIPATH_CLIENT_ID=" + uipathtest.ClientID,
		"UIPATH_CLIENT_SECRET=" + uipathtest.ClientSecret,
		"UIPATH_ACCOUNT_ID=" + account,
		"UIPATH_RATE_LIMIT=0",
		"UIPATH_MAX_CONCURRENCY=" + strconv.Itoa(concurrency),
	}
}

// BenchmarkDrain queues a backlog of commands (100,000 under -full), then
// starts the worker binary against that server and measures how fast it
// drains the backlog and its peak resident memory meanwhile (VmHWM): the
// memory must not grow with the backlog. The server runs in the benchmark's
// process (default fsync interval), so the figure is the worker's alone.
func BenchmarkDrain(b *testing.B) {
	n := size(5000, 100000)
	var rate, peakRSS, rssAtStart float64
	for range b.N {
		b.StopTimer()
		srv := startServer(b, false)
		nc, js := connect(b, srv, 4000)
		setup(b, js)
		run := fmt.Sprintf("drain-%d", time.Now().UnixNano())
		publishAll(b, js, n, func(i int) *nats.Msg { return commandMsg(run, i) })
		fake := newFake(b)
		got := watchResults(b, nc, n)
		b.StartTimer()
		start := time.Now()
		w := spawn(b, append(workerEnv(b, fake.URL), "NATS_URL="+srv.ClientURL())...)
		w.waitReady(b)
		if kb, err := w.status("VmRSS"); err == nil {
			rssAtStart = float64(kb) / 1024
		}
		last := got.wait(b, 20*time.Minute)
		rate = float64(n) / last.Sub(start).Seconds()
		kb, err := w.status("VmHWM")
		if err != nil {
			b.Fatal(err)
		}
		peakRSS = float64(kb) / 1024
		w.stop(b)
	}
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(rssAtStart, "ready-RSS-MiB")
	b.ReportMetric(peakRSS, "peak-RSS-MiB")
}

// BenchmarkStartToReady starts the worker binary with its embedded
// nats-server (fsync always, its default) on a data directory that already
// holds streams, buckets and processed commands, and measures the time from
// exec to the worker's "ready" log line.
func BenchmarkStartToReady(b *testing.B) {
	n := size(500, 10000)
	b.StopTimer()
	dir := b.TempDir()
	fake := newFake(b)
	port := natstest.FreePort(b)
	env := append(workerEnv(b, fake.URL), "SEATKEEPER_DATA_DIR="+dir, "SEATKEEPER_EMBEDDED_LISTEN="+natstest.Addr(port))

	// First run: create the data directory and process a backlog in it.
	w := spawn(b, env...)
	w.waitReady(b)
	nc := natstest.Connect(b, "nats://"+natstest.Addr(port))
	got := watchResults(b, nc, n)
	_, js := connectJS(b, nc)
	run := fmt.Sprintf("ready-%d", time.Now().UnixNano())
	publishAll(b, js, n, func(i int) *nats.Msg { return commandMsg(run, i) })
	got.wait(b, 10*time.Minute)
	nc.Close()
	w.stop(b)

	var worst, total time.Duration
	for range b.N {
		b.StartTimer()
		start := time.Now()
		w := spawn(b, env...)
		took := w.waitReady(b).Sub(start)
		b.StopTimer()
		worst, total = max(worst, took), total+took
		w.stop(b)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-ready")
	b.ReportMetric(float64(worst.Milliseconds()), "max-ms-to-ready")
}
