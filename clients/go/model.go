package mqgateway

import "mqgateway/api"

// Message is one message to send.
type Message struct {
	Topic string
	// Body is the payload, 1 byte up to the gateway's maxMessageSize (8 MiB by default), delivered byte-identical.
	Body []byte
	// Tags is one tag for consumers' tag expressions; "" for none.
	Tags string
	// Keys are business keys indexed by the broker.
	Keys []string
	// Properties are user properties, delivered unchanged.
	Properties map[string]string
	// ShardingKey: messages with the same key go to the same queue, in order; "" for round-robin.
	ShardingKey string
}

// SendStatus is the durability outcome of a stored message.
type SendStatus int32

// The send statuses (every one means the message was appended to the master's commit log).
const (
	StatusOK                = SendStatus(api.SendStatus_OK)
	StatusFlushDiskTimeout  = SendStatus(api.SendStatus_FLUSH_DISK_TIMEOUT)
	StatusFlushSlaveTimeout = SendStatus(api.SendStatus_FLUSH_SLAVE_TIMEOUT)
	StatusSlaveNotAvailable = SendStatus(api.SendStatus_SLAVE_NOT_AVAILABLE)
)

func (s SendStatus) String() string { return api.SendStatus(s).String() }

// SendResult is the outcome of one message of a send, in request order. Err is set (an *Error) when that message
// was not stored; the other fields are then empty.
type SendResult struct {
	MsgID       string
	UniqueID    string
	BrokerName  string
	QueueID     int32
	QueueOffset int64
	Status      SendStatus
	Err         error
}

// ReceivedMessage is one delivered message.
type ReceivedMessage struct {
	MsgID           string
	UniqueID        string
	Topic           string
	Body            []byte
	Tags            string
	Keys            []string
	Properties      map[string]string
	BornTimestamp   int64
	StoreTimestamp  int64
	BrokerName      string
	QueueID         int32
	QueueOffset     int64
	DeliveryAttempt int32
	// Receipt is set in at-least-once mode (InvisibleMs > 0): pass it to Ack (or GetOptions.Ack) once processed.
	Receipt string
}

// AckStatus is the outcome of one acked receipt. AckUnknown: the gateway did not report it (older gateways).
type AckStatus int32

// The ack statuses.
const (
	AckUnknown      AckStatus = -1
	AckAcked                  = AckStatus(api.AckStatus_ACKED)
	AckAlreadyAcked           = AckStatus(api.AckStatus_ALREADY_ACKED)
	AckExpired                = AckStatus(api.AckStatus_EXPIRED)
	AckInvalid                = AckStatus(api.AckStatus_INVALID)
)

func (s AckStatus) String() string {
	if s == AckUnknown {
		return "UNKNOWN"
	}
	return api.AckStatus(s).String()
}

// GetResult is what one get returned.
type GetResult struct {
	Messages []*ReceivedMessage
	// Acked counts the receipts of GetOptions.Ack this call ACKED.
	Acked int32
	// AckResults has one status per receipt of GetOptions.Ack, in order (AckUnknown each when not reported).
	AckResults []AckStatus
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
	// Ack lists receipts to acknowledge in the same call (they are applied before the fetch).
	Ack []string
	// Orderly: one holder per queue at a time, queue order, the head of a queue first on redelivery.
	Orderly bool
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toThrift(m *Message) *api.Message {
	return &api.Message{Topic: m.Topic, Body: m.Body, Tags: str(m.Tags), Keys: m.Keys, Properties: m.Properties, ShardingKey: str(m.ShardingKey)}
}

func fromThriftResult(r *api.SendResult_) SendResult {
	out := SendResult{MsgID: r.GetMsgId(), UniqueID: r.GetUniqueId(), BrokerName: r.GetBrokerName(), QueueID: r.QueueId, QueueOffset: r.QueueOffset, Status: SendStatus(r.Status)}
	if r.Error != nil {
		out.Err = fromMessageError(r.Error)
	}
	return out
}

func fromThriftMessage(m *api.ReceivedMessage) *ReceivedMessage {
	out := &ReceivedMessage{MsgID: m.MsgId, UniqueID: m.GetUniqueId(), Topic: m.Topic, Body: m.Body, Tags: m.GetTags(), Keys: m.Keys, Properties: m.Properties,
		BornTimestamp: m.GetBornTimestamp(), StoreTimestamp: m.GetStoreTimestamp(), BrokerName: m.GetBrokerName(), QueueID: -1, QueueOffset: -1,
		DeliveryAttempt: m.DeliveryAttempt, Receipt: m.GetReceipt()}
	if m.QueueId != nil {
		out.QueueID = *m.QueueId
	}
	if m.QueueOffset != nil {
		out.QueueOffset = *m.QueueOffset
	}
	if out.DeliveryAttempt == 0 {
		out.DeliveryAttempt = 1
	}
	return out
}

func ackStatuses(r *api.GetResult_, n int) []AckStatus {
	out := make([]AckStatus, n)
	for i := range out {
		out[i] = AckUnknown
		if len(r.AckResults) == n {
			out[i] = AckStatus(r.AckResults[i])
		}
	}
	return out
}
