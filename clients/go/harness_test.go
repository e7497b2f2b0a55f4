package mqgateway_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The repository root: clients/go -> ../.. (or MQ_REPO).
func repo() string {
	if r := os.Getenv("MQ_REPO"); r != "" {
		return r
	}
	r, _ := filepath.Abs(filepath.Join("..", ".."))
	return r
}

var readyLine = regexp.MustCompile(`^(\S+) ready (.*)$`)

// mqProc is a real `mq` process, ready once it printed `<component> ready k=v ...`; stopped by its pid.
type mqProc struct {
	cmd    *exec.Cmd
	fields map[string]string
	mu     sync.Mutex
	out    []string
}

func startMq(args ...string) (*mqProc, error) {
	cmd := exec.Command(filepath.Join(repo(), "bin", "mq"), args...)
	cmd.Dir = repo()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &mqProc{cmd: cmd, fields: map[string]string{}}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			p.mu.Lock()
			p.out = append(p.out, line)
			p.mu.Unlock()
			if m := readyLine.FindStringSubmatch(line); m != nil && !sent {
				for _, kv := range strings.Fields(m[2]) {
					if k, v, ok := strings.Cut(kv, "="); ok {
						p.fields[k] = v
					}
				}
				sent = true
				ready <- true
			}
		}
		if !sent {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if ok {
			return p, nil
		}
	case <-time.After(60 * time.Second):
	}
	p.stop(syscall.SIGKILL)
	p.mu.Lock()
	defer p.mu.Unlock()
	return nil, fmt.Errorf("mq %s was not ready:\n%s", strings.Join(args, " "), strings.Join(p.out, "\n"))
}

func (p *mqProc) stop(sig syscall.Signal) {
	if p == nil || p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// cluster is a name server and one broker, for gateways the tests start, kill and restart.
type cluster struct {
	ns, broker *mqProc
	namesrv    string
	dir        string
}

func startCluster() (*cluster, error) {
	dir, err := os.MkdirTemp("", "mq-gotest-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	if c.ns, err = startMq("namesrv", "--listenPort=0", "--httpPort=-1", "--logLevel=warn"); err != nil {
		return nil, err
	}
	c.namesrv = "127.0.0.1:" + c.ns.fields["listenPort"]
	c.broker, err = startMq("broker", "--brokerName=go-a", "--storePathRootDir="+dir, "--namesrvAddr="+c.namesrv, "--listenPort=0",
		fmt.Sprintf("--haListenPort=%d", freePort()), "--httpPort=-1", "--logLevel=warn", fmt.Sprintf("--mappedFileSizeCommitLog=%d", 64<<20),
		"--registerNameServerPeriod=1000")
	if err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

func (c *cluster) gateway(t *testing.T, port int, extra ...string) *mqProc {
	args := append([]string{"gateway", "--namesrvAddr=" + c.namesrv, fmt.Sprintf("--listenPort=%d", port), "--listenHost=127.0.0.1", "--httpPort=-1",
		"--logLevel=warn", "--autoCreateTopic=true", "--receiptSecret=gotest-secret", "--offsetFlushIntervalMs=200"}, extra...)
	gw, err := startMq(args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.stop(syscall.SIGTERM) })
	return gw
}

func (c *cluster) close() {
	c.broker.stop(syscall.SIGTERM)
	c.ns.stop(syscall.SIGTERM)
	os.RemoveAll(c.dir)
}

var (
	devAddr    string
	theCluster *cluster
)

func TestMain(m *testing.M) {
	dir, _ := os.MkdirTemp("", "mq-gotest-dev-")
	dev, err := startMq("dev", "--basePort=0", "--dataDir="+dir, "--httpPort=-1")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	devAddr = "127.0.0.1:" + dev.fields["gatewayPort"]
	theCluster, err = startCluster()
	code := 1
	if err != nil {
		fmt.Println(err)
	} else {
		code = m.Run()
		theCluster.close()
	}
	dev.stop(syscall.SIGTERM)
	os.RemoveAll(dir)
	os.Exit(code)
}

var uniq int64

func unique(prefix string) string {
	uniq++
	return fmt.Sprintf("%s_%d_%d_%d", prefix, os.Getpid(), time.Now().UnixNano()%1e9, uniq)
}
