// Apache's rocketmq-client-go v2 against our name server and master/slave broker set, which TestMain starts with
// ./bin/mq on free ports and temp directories and stops by pid afterwards.
package interop

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

var (
	namesrvAddr string
	masterAddr  string
	procs       []*exec.Cmd
	tmpDir      string
	counter     int64
)

func TestMain(m *testing.M) {
	rlog.SetLogLevel("error")
	code := 1
	if err := startCluster(); err != nil {
		fmt.Fprintln(os.Stderr, "cluster:", err)
	} else {
		code = m.Run()
	}
	stopCluster()
	os.Exit(code)
}

func root() string {
	if r := os.Getenv("MQ_ROOT"); r != "" {
		return r
	}
	wd, _ := os.Getwd()
	return filepath.Join(wd, "..", "..", "..")
}

var ready = regexp.MustCompile(`^(\S+) ready (.*)$`)

// start runs `node bin/mq args...` and returns the fields of its ready line.
func start(name string, args ...string) (map[string]string, error) {
	cmd := exec.Command("node", append([]string{filepath.Join(root(), "bin", "mq")}, args...)...)
	cmd.Env = append(os.Environ(), "MQ_LOG_LEVEL=warn")
	logf, err := os.Create(filepath.Join(tmpDir, name+".stderr.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	procs = append(procs, cmd)
	found := make(chan map[string]string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil && !sent {
				f := map[string]string{}
				for _, kv := range strings.Fields(m[2]) {
					if i := strings.IndexByte(kv, '='); i > 0 {
						f[kv[:i]] = kv[i+1:]
					}
				}
				sent = true
				found <- f
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case f, ok := <-found:
		if !ok {
			b, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("%s exited before ready: %s", name, b)
		}
		return f, nil
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("%s not ready in 30 s", name)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startCluster() error {
	var err error
	if tmpDir, err = os.MkdirTemp("", "mq-interop-go-"); err != nil {
		return err
	}
	ns, err := start("namesrv", "namesrv", "--listenPort=0", "--httpPort=-1")
	if err != nil {
		return err
	}
	namesrvAddr = "127.0.0.1:" + ns["listenPort"]
	ha, err := freePort()
	if err != nil {
		return err
	}
	common := []string{"--brokerClusterName=GoCluster", "--brokerName=go-a", "--namesrvAddr=" + namesrvAddr, "--listenPort=0",
		"--httpPort=-1", "--mappedFileSizeCommitLog=67108864", "--registerNameServerPeriod=1000"}
	master, err := start("master", append([]string{"broker", "--brokerId=0", "--brokerRole=ASYNC_MASTER",
		"--storePathRootDir=" + filepath.Join(tmpDir, "master"), fmt.Sprintf("--haListenPort=%d", ha)}, common...)...)
	if err != nil {
		return err
	}
	masterAddr = "127.0.0.1:" + master["listenPort"]
	if _, err = start("slave", append([]string{"broker", "--brokerId=1", "--brokerRole=SLAVE",
		"--storePathRootDir=" + filepath.Join(tmpDir, "slave")}, common...)...); err != nil {
		return err
	}
	return nil
}

func stopCluster() {
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
		}
	}
	if tmpDir != "" && os.Getenv("MQ_INTEROP_KEEP") == "" {
		_ = os.RemoveAll(tmpDir)
	}
}

func unique(prefix string) string {
	return fmt.Sprintf("%s_%d_%d", prefix, os.Getpid(), atomic.AddInt64(&counter, 1))
}

func resolver() primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{namesrvAddr})
}

// createTopic creates a topic with Go's admin client and waits until the route lists `queues` queues.
func createTopic(t *testing.T, prefix string, queues int) string {
	t.Helper()
	return createNamedTopic(t, unique(prefix), queues)
}

func createNamedTopic(t *testing.T, topic string, queues int) string {
	t.Helper()
	a, err := newAdmin()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()
	if err := a.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(masterAddr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		t.Fatal("CreateTopic:", err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if mqs, err := a.FetchPublishMessageQueues(ctx, topic); err == nil && len(mqs) == queues {
			return topic
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("route of %s never appeared", topic)
	return ""
}

func newAdmin() (admin.Admin, error) {
	return admin.NewAdmin(admin.WithResolver(resolver()))
}
