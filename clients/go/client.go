// Package mqgateway is the Go client of the mqgateway Thrift API (framed transport, binary protocol): a Client
// (one connection), a Producer (retries, failover) and a consumer loop (Consumer.Consume).
//
//	c, err := mqgateway.Dial(ctx, "127.0.0.1:9090")
//	res, err := c.Send(ctx, &mqgateway.Message{Topic: "logs", Body: []byte("hello")})
//	got, err := c.Get(ctx, "logs", "my-group", mqgateway.GetOptions{WaitMs: 1000, InvisibleMs: 30000})
//
// Every call honours its context: the context's deadline becomes the socket deadline, and a cancel interrupts the
// call at once (the connection is then dropped and the next call dials again).
// The generated stubs are package mqgateway/api (do not edit; regenerate with `npm run gen`).
package mqgateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/apache/thrift/lib/go/thrift"

	"mqgateway/api"
)

// DefaultMaxFrameSize is the largest frame the client accepts: 64 MiB, well above the library's default of
// 16,384,000 bytes, so that a get returning several large bodies (each up to 8 MiB) is not refused.
const DefaultMaxFrameSize = 64 << 20

// DefaultPort is the gateway's Thrift port.
const DefaultPort = 9090

// pollSlack is added to a long poll's waitMs for the socket deadline, so that the socket never times out first.
const pollSlack = 5 * time.Second

const (
	maxBatch = 1024
	maxAcks  = 4096
)

type config struct {
	timeout      time.Duration
	auth         *string
	maxFrameSize int32
}

// Option configures Dial, NewProducer and NewConsumer.
type Option func(*config)

// WithTimeout bounds connecting and each call when the context has no earlier deadline (long polls get WaitMs
// more). Default 30 s.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithAuth sets the token sent with every call (only needed when the gateway runs with a tokens file).
func WithAuth(token string) Option { return func(c *config) { c.auth = str(token) } }

// WithMaxFrameSize sets the largest reply frame accepted, in bytes. Default DefaultMaxFrameSize.
func WithMaxFrameSize(n int32) Option { return func(c *config) { c.maxFrameSize = n } }

func newConfig(opts []Option) config {
	c := config{timeout: 30 * time.Second, maxFrameSize: DefaultMaxFrameSize}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Client is one connection to one gateway. Its methods may be called from several goroutines; calls take turns.
type Client struct {
	addr string
	cfg  config

	mu   sync.Mutex
	conn net.Conn
	api  *api.MessageGatewayClient
}

// Dial connects to addr ("host:port"; a bare host means port 9090) within ctx.
func Dial(ctx context.Context, addr string, opts ...Option) (*Client, error) {
	c := &Client{addr: normalizeAddr(addr), cfg: newConfig(opts)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.dial(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Addr is the gateway address of this client.
func (c *Client) Addr() string { return c.addr }

func normalizeAddr(addr string) string {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return net.JoinHostPort(addr, strconv.Itoa(DefaultPort))
	}
	return addr
}

func (c *Client) dial(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, c.cfg.timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "tcp", c.addr)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("mqgateway: dial %s: %w", c.addr, ctx.Err())
		}
		return &ConnError{Addr: c.addr, Err: err}
	}
	conf := &thrift.TConfiguration{MaxFrameSize: c.cfg.maxFrameSize, MaxMessageSize: c.cfg.maxFrameSize}
	trans := thrift.NewTFramedTransportConf(&connTransport{conn: conn}, conf)
	proto := thrift.NewTBinaryProtocolConf(trans, conf)
	c.conn, c.api = conn, api.NewMessageGatewayClient(thrift.NewTStandardClient(proto, proto))
	return nil
}

// Close closes the connection. The Client dials again if it is used afterwards.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drop()
}

func (c *Client) drop() error {
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn, c.api = nil, nil
	return err
}

// call runs f on the connection with the socket deadline taken from ctx (or the client's timeout plus extra), and
// interrupts it when ctx is cancelled. Any failure but a GatewayError drops the connection: half a call may be on the
// wire.
func (c *Client) call(ctx context.Context, extra time.Duration, f func(*api.MessageGatewayClient) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mqgateway: %w", err)
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return err
		}
	}
	conn := c.conn
	deadline := time.Now().Add(c.cfg.timeout + extra)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = conn.SetDeadline(deadline)
	stop, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			_ = conn.SetDeadline(time.Unix(1, 0)) // in the past: the blocked read or write returns now
		case <-stop:
		}
	}()
	err := f(c.api)
	close(stop)
	<-watched
	if err == nil {
		return nil
	}
	var ge *api.GatewayError
	if errors.As(err, &ge) {
		return fromGatewayError(ge)
	}
	_ = c.drop()
	if ctx.Err() != nil {
		return fmt.Errorf("mqgateway: call to %s: %w", c.addr, ctx.Err())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &ConnError{Addr: c.addr, Err: fmt.Errorf("no answer within the deadline: %w", err)}
	}
	return &ConnError{Addr: c.addr, Err: err}
}

func checkMessages(msgs []*Message) ([]*api.Message, error) {
	if len(msgs) < 1 || len(msgs) > maxBatch {
		return nil, inputError("a batch has 1..%d messages, got %d", maxBatch, len(msgs))
	}
	out := make([]*api.Message, len(msgs))
	for i, m := range msgs {
		switch {
		case m == nil:
			return nil, inputError("message %d is nil", i)
		case m.Topic == "":
			return nil, inputError("message %d: topic is empty", i)
		case len(m.Body) == 0:
			return nil, inputError("message %d: body is empty", i)
		}
		out[i] = toThrift(m)
	}
	return out, nil
}

// SendBatch stores 1..1024 messages (any topics) in one call. It returns one SendResult per message, in order; a
// message that was not stored has Err set. The call itself fails (*Error) when the gateway refused the whole batch.
func (c *Client) SendBatch(ctx context.Context, msgs []*Message) ([]SendResult, error) {
	batch, err := checkMessages(msgs)
	if err != nil {
		return nil, err
	}
	var res []*api.SendResult_
	err = c.call(ctx, 0, func(a *api.MessageGatewayClient) error {
		var e error
		res, e = a.Send(ctx, &api.SendRequest{Messages: batch, Auth: c.cfg.auth})
		return e
	})
	if err != nil {
		return nil, err
	}
	if len(res) != len(batch) {
		return nil, &Error{Code: CodeInternal, Message: fmt.Sprintf("the gateway returned %d results for %d messages", len(res), len(batch)), Index: -1}
	}
	out := make([]SendResult, len(res))
	for i, r := range res {
		out[i] = fromThriftResult(r)
	}
	return out, nil
}

// Send stores one message; the error is the message's own when it was not stored.
func (c *Client) Send(ctx context.Context, m *Message) (SendResult, error) {
	res, err := c.SendBatch(ctx, []*Message{m})
	if err != nil {
		return SendResult{}, err
	}
	return res[0], res[0].Err
}

// Get acks opts.Ack, then returns up to opts.MaxMessages messages of topic for the consumer group.
func (c *Client) Get(ctx context.Context, topic, group string, opts GetOptions) (*GetResult, error) {
	switch {
	case topic == "" || group == "":
		return nil, inputError("topic and group must not be empty")
	case opts.MaxMessages < 0 || opts.MaxMessages > maxBatch:
		return nil, inputError("MaxMessages must be within 0..%d, got %d", maxBatch, opts.MaxMessages)
	case opts.WaitMs < 0 || opts.WaitMs > 30000:
		return nil, inputError("WaitMs must be within 0..30000, got %d", opts.WaitMs)
	case opts.InvisibleMs < 0 || opts.InvisibleMs > 43200000:
		return nil, inputError("InvisibleMs must be within 0..43200000, got %d", opts.InvisibleMs)
	case len(opts.Ack) > maxAcks:
		return nil, inputError("at most %d receipts per call, got %d", maxAcks, len(opts.Ack))
	}
	req := api.NewGetRequest()
	req.Topic, req.ConsumerGroup, req.Auth = topic, group, c.cfg.auth
	if opts.MaxMessages > 0 {
		req.MaxMessages = opts.MaxMessages
	}
	if opts.TagExpression != "" {
		req.TagExpression = opts.TagExpression
	}
	req.WaitMs, req.InvisibleMs, req.Ack, req.Orderly = opts.WaitMs, opts.InvisibleMs, opts.Ack, opts.Orderly
	return c.get(ctx, req, time.Duration(opts.WaitMs)*time.Millisecond+pollSlack)
}

func (c *Client) get(ctx context.Context, req *api.GetRequest, extra time.Duration) (*GetResult, error) {
	var res *api.GetResult_
	err := c.call(ctx, extra, func(a *api.MessageGatewayClient) error {
		var e error
		res, e = a.Get(ctx, req)
		return e
	})
	if err != nil {
		return nil, err
	}
	out := &GetResult{Acked: res.Acked, AckResults: ackStatuses(res, len(req.Ack)), Messages: make([]*ReceivedMessage, len(res.Messages))}
	for i, m := range res.Messages {
		out.Messages[i] = fromThriftMessage(m)
	}
	return out, nil
}

// Ack acknowledges receipts without fetching anything: one AckStatus per receipt (AckUnknown when the gateway does
// not report them). Acks are idempotent: a repeated receipt answers AckAlreadyAcked.
func (c *Client) Ack(ctx context.Context, topic, group string, receipts []string) ([]AckStatus, error) {
	if len(receipts) == 0 {
		return nil, nil
	}
	if len(receipts) > maxAcks {
		return nil, inputError("at most %d receipts per call, got %d", maxAcks, len(receipts))
	}
	req := api.NewGetRequest()
	req.Topic, req.ConsumerGroup, req.Auth, req.MaxMessages, req.Ack = topic, group, c.cfg.auth, 0, receipts
	res, err := c.get(ctx, req, 0)
	if err != nil {
		return nil, err
	}
	return res.AckResults, nil
}

// connTransport is a thrift.TTransport over a net.Conn whose deadlines the Client sets per call (thrift.TSocket
// would overwrite them with its own timeout on every read).
type connTransport struct{ conn net.Conn }

func (t *connTransport) Read(p []byte) (int, error)  { return t.conn.Read(p) }
func (t *connTransport) Write(p []byte) (int, error) { return t.conn.Write(p) }
func (t *connTransport) Close() error                { return t.conn.Close() }
func (t *connTransport) Flush(context.Context) error { return nil }
func (t *connTransport) RemainingBytes() uint64      { return ^uint64(0) }
func (t *connTransport) Open() error                 { return nil }
func (t *connTransport) IsOpen() bool                { return true }
