package chaos_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/natsconn"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A three-node JetStream cluster with R3 streams, consumer and buckets, and
// two worker replicas, each connected to a different node and knowing all
// three. During 2,000 commands the node leading the worker consumer (and
// serving the first replica) is shut down; the cluster elects new leaders,
// the replica fails over, work goes on with two nodes; the node is brought
// back on the same ports and store. Every command still has exactly one
// result and one allocation.
func TestClusterNodeLostAndBack(t *testing.T) {
	const n = 2000
	w := newWorkload(t, "cluster-node", n)
	c := startCluster(t, 3)

	js, err := jetstream.New(natstest.Connect(t, c.urls(-1), natsOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	settings := clusterSettings()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	res, err := consumer.Setup(ctx, js, settings)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	victim := c.node(res.Consumer.CachedInfo().Cluster.Leader)

	startService(t, w, c.urls(victim), "cluster-1", settings)
	startService(t, w, c.urls((victim+1)%3), "cluster-2", settings)
	got := testproc.Follow(t, js)
	start := time.Now()
	w.publish(t, js)

	got.WaitDistinct(t, n/3, 2*time.Minute)
	at := got.Distinct()
	down := time.Now()
	c.stop(victim)
	got.WaitDistinct(t, at+n/4, 2*time.Minute) // work goes on with two nodes
	during := got.Distinct() - at
	c.start(victim)
	back := time.Since(down)
	c.waitCurrent(victim)

	got.WaitDistinct(t, n, 3*time.Minute)
	t.Logf("all %d results stored %s after publishing began", n, time.Since(start).Round(time.Millisecond))
	w.report(t, fmt.Sprintf("shut down %s (consumer leader, first replica's server) after %d results, %d results while it was down, back after %s",
		c.nodes[victim].name, at, during, back.Round(100*time.Millisecond)), w.verify(t, js))
}

// clusterSettings are the worker's settings with R3 everything and a short
// AckWait, so that commands whose acks were lost with a node come back soon.
func clusterSettings() consumer.Settings {
	s := consumer.DefaultSettings(32)
	s.Replicas = 3
	s.AckWait = 5 * time.Second
	return s
}

// startService starts an in-process worker replica connected to urls (in
// that order: DontRandomize) and stops it when the test ends.
func startService(t *testing.T, w *workload, urls, owner string, settings consumer.Settings) *consumer.Service {
	t.Helper()
	nc, err := natsconn.Config{URL: urls}.Connect("chaos "+owner, "", nats.DontRandomize())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	client, err := uipath.New(uipath.Config{
		BaseURL: w.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account, RateLimit: 100000, MaxConcurrency: 32,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zapcore.WarnLevel)
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := consumer.Start(ctx, consumer.ServiceOptions{
		Conn: nc, Settings: settings, Vendors: vendors.NewRegistry(client), Policy: vendors.DefaultRetryPolicy(),
		Owner: owner, Concurrency: 32, ShutdownTimeout: 5 * time.Second, Logger: zap.New(core),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-svc.Done()
		t.Logf("%s: %d warnings", owner, logs.Len())
		if t.Failed() {
			for _, e := range logs.All()[max(0, logs.Len()-20):] {
				t.Logf("%s: %s %v", owner, e.Message, e.ContextMap())
			}
		}
	})
	return svc
}

// cluster is a JetStream cluster of in-process servers with routes on
// loopback, each with its own store, restartable on the same ports.
type cluster struct {
	t     *testing.T
	nodes []*node
}

type node struct {
	name        string
	port, route int
	dir         string
	srv         *server.Server
}

func startCluster(t *testing.T, size int) *cluster {
	t.Helper()
	c := &cluster{t: t}
	for i := range size {
		c.nodes = append(c.nodes, &node{name: fmt.Sprintf("n%d", i+1),
			port: natstest.FreePort(t), route: natstest.FreePort(t), dir: t.TempDir()})
	}
	t.Cleanup(func() {
		for i, n := range c.nodes {
			if n.srv != nil {
				c.stop(i)
			}
		}
	})
	for i := range c.nodes {
		c.start(i)
	}
	c.waitFor("a JetStream meta leader", func() bool {
		for _, n := range c.nodes {
			if n.srv.JetStreamIsLeader() {
				return true
			}
		}
		return false
	})
	return c
}

func (c *cluster) options(n *node) *server.Options {
	var routes []string
	for _, o := range c.nodes {
		if o != n {
			routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", o.route))
		}
	}
	return &server.Options{
		ServerName: n.name,
		Host:       "127.0.0.1",
		Port:       n.port,
		JetStream:  true,
		StoreDir:   n.dir,
		NoLog:      true,
		NoSigs:     true,
		Cluster:    server.ClusterOpts{Name: "chaos", Host: "127.0.0.1", Port: n.route},
		Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
	}
}

// start starts node i (again) on its ports and store.
func (c *cluster) start(i int) {
	c.t.Helper()
	n := c.nodes[i]
	s, err := server.NewServer(c.options(n))
	if err != nil {
		c.t.Fatalf("%s: %v", n.name, err)
	}
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		c.t.Fatalf("%s not ready within 30s", n.name)
	}
	n.srv = s
}

// stop shuts node i down.
func (c *cluster) stop(i int) {
	n := c.nodes[i]
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

// waitCurrent waits until node i has caught up with the meta leader.
func (c *cluster) waitCurrent(i int) {
	c.t.Helper()
	c.waitFor(c.nodes[i].name+" to catch up", c.nodes[i].srv.JetStreamIsCurrent)
}

// waitFor polls cond: cluster state changes announce themselves to no
// client.
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("waited a minute for %s", what)
		}
		<-tick.C
	}
}

// node returns the index of the node named name.
func (c *cluster) node(name string) int {
	c.t.Helper()
	for i, n := range c.nodes {
		if n.name == name {
			return i
		}
	}
	c.t.Fatalf("no node %q", name)
	return -1
}

// urls lists every node's client URL, node first first (-1: in order).
func (c *cluster) urls(first int) string {
	var out []string
	if first >= 0 {
		out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", c.nodes[first].port))
	}
	for i, n := range c.nodes {
		if i != first {
			out = append(out, fmt.Sprintf("nats://127.0.0.1:%d", n.port))
		}
	}
	return strings.Join(out, ",")
}
