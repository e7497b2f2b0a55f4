// Package mqgateway is a thin Go client of the mqgateway Thrift API (framed transport, binary protocol).
//
//	c, err := mqgateway.Connect("127.0.0.1", 9090, 30*time.Second)
//	res, err := c.Send(ctx, mqgateway.NewMessage("logs", []byte("hello")))
//	msgs, err := c.Get(ctx, "logs", "my-group", mqgateway.GetOptions{WaitMs: 1000})
//
// The generated stubs are package mqgateway/api (do not edit; regenerate with `npm run gen`). Debian's Go thrift
// library has no go.mod, so this builds in GOPATH mode: see README.md.
package mqgateway

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"mqgateway/api"

	"github.com/apache/thrift/lib/go/thrift"
)

// DefaultMaxFrameSize is the largest frame the client accepts: 64 MiB, well above the library's default of
// 16,384,000 bytes, so that a get returning several large bodies (each up to 8 MiB) is not refused.
const DefaultMaxFrameSize = 64 << 20

// pollSlack is added to a long poll's waitMs for the socket deadline, so that the socket never times out first.
const pollSlack = 5 * time.Second

// Options of a connection. Zero values take the defaults.
type Options struct {
	// Timeout for connecting and for each call (long polls get waitMs more). Default 30 s.
	Timeout time.Duration
	// Auth is the token sent with every call; empty when the gateway runs without auth.
	Auth string
	// MaxFrameSize is the largest frame accepted, in bytes. Default DefaultMaxFrameSize.
	MaxFrameSize int32
}

// Client owns one connection to one gateway. It is not safe for concurrent use: use one Client per goroutine.
type Client struct {
	sock    *thrift.TSocket
	trans   thrift.TTransport
	api     *api.MessageGatewayClient
	timeout time.Duration
	auth    *string
}

// Connect opens a connection to host:port with the given timeout and default options.
func Connect(host string, port int, timeout time.Duration) (*Client, error) {
	return ConnectOptions(host, port, Options{Timeout: timeout})
}

// ConnectOptions opens a connection to host:port.
func ConnectOptions(host string, port int, opts Options) (*Client, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = DefaultMaxFrameSize
	}
	conf := &thrift.TConfiguration{
		ConnectTimeout: opts.Timeout,
		SocketTimeout:  opts.Timeout,
		MaxFrameSize:   opts.MaxFrameSize,
		// Messages are bounded by frames; let the frame limit be the only limit.
		MaxMessageSize: opts.MaxFrameSize,
	}
	sock := thrift.NewTSocketConf(net.JoinHostPort(host, strconv.Itoa(port)), conf)
	trans := thrift.NewTFramedTransportConf(sock, conf)
	if err := trans.Open(); err != nil {
		return nil, fmt.Errorf("mqgateway: connect %s:%d: %w", host, port, err)
	}
	proto := thrift.NewTBinaryProtocolConf(trans, conf)
	c := &Client{sock: sock, trans: trans, api: api.NewMessageGatewayClient(thrift.NewTStandardClient(proto, proto)), timeout: opts.Timeout}
	if opts.Auth != "" {
		c.auth = &opts.Auth
	}
	return c, nil
}

// NewMessage builds a message; set Tags, Keys, Properties and ShardingKey on the result as needed
// (Tags and ShardingKey are pointers: use mqgateway.Str("A")).
func NewMessage(topic string, body []byte) *api.Message {
	return &api.Message{Topic: topic, Body: body}
}

// Str returns a pointer to s, for the optional string fields of the generated structs.
func Str(s string) *string { return &s }

// Send stores messages in one batch. It returns one result per message, in order; a message that could not be
// stored has Error set. Gateway errors are *api.GatewayError.
func (c *Client) Send(ctx context.Context, msgs ...*api.Message) ([]*api.SendResult_, error) {
	return c.api.Send(ctx, &api.SendRequest{Messages: msgs, Auth: c.auth})
}

// GetOptions of one get. Zero values take the defaults.
type GetOptions struct {
	// MaxMessages to return, 1..1024. Default (0) 32; use Ack to acknowledge without fetching.
	MaxMessages int32
	// WaitMs is the long poll: wait up to this long for a first message, 0..30000 ms.
	WaitMs int32
	// InvisibleMs: 0 = auto-ack; > 0 = at-least-once, each message carries a Receipt to acknowledge.
	InvisibleMs int32
	// TagExpression such as "A || B". Default "*".
	TagExpression string
	// Ack lists receipts to acknowledge in the same call.
	Ack []string
}

// Get returns up to opts.MaxMessages messages of topic for the consumer group.
func (c *Client) Get(ctx context.Context, topic, group string, opts GetOptions) ([]*api.ReceivedMessage, error) {
	req := api.NewGetRequest()
	req.Topic, req.ConsumerGroup, req.Auth = topic, group, c.auth
	if opts.MaxMessages > 0 {
		req.MaxMessages = opts.MaxMessages
	}
	if opts.TagExpression != "" {
		req.TagExpression = opts.TagExpression
	}
	req.WaitMs, req.InvisibleMs, req.Ack = opts.WaitMs, opts.InvisibleMs, opts.Ack
	res, err := c.call(time.Duration(opts.WaitMs)*time.Millisecond, func() (*api.GetResult_, error) { return c.api.Get(ctx, req) })
	if err != nil {
		return nil, err
	}
	return res.Messages, nil
}

// Ack acknowledges receipts without fetching anything and returns how many were accepted.
func (c *Client) Ack(ctx context.Context, topic, group string, receipts []string) (int32, error) {
	if len(receipts) == 0 {
		return 0, nil
	}
	req := api.NewGetRequest()
	req.Topic, req.ConsumerGroup, req.Auth, req.MaxMessages, req.Ack = topic, group, c.auth, 0, receipts
	res, err := c.call(0, func() (*api.GetResult_, error) { return c.api.Get(ctx, req) })
	if err != nil {
		return 0, err
	}
	return res.Acked, nil
}

// call runs f with the socket deadline raised above a long poll's wait, then restores it.
func (c *Client) call(wait time.Duration, f func() (*api.GetResult_, error)) (*api.GetResult_, error) {
	if wait+pollSlack > c.timeout {
		_ = c.sock.SetSocketTimeout(wait + pollSlack)
		defer func() { _ = c.sock.SetSocketTimeout(c.timeout) }()
	}
	return f()
}

// Close closes the connection.
func (c *Client) Close() error {
	return c.trans.Close()
}
