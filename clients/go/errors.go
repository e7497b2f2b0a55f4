package mqgateway

import (
	"errors"
	"fmt"
	"time"

	"mqgateway/api"
)

// ErrorCode is why a call, or one message of a batch, failed (the IDL's ErrorCode).
type ErrorCode int32

// The gateway's error codes.
const (
	CodeInvalidArgument  = ErrorCode(api.ErrorCode_INVALID_ARGUMENT)
	CodePayloadTooLarge  = ErrorCode(api.ErrorCode_PAYLOAD_TOO_LARGE)
	CodeUnauthenticated  = ErrorCode(api.ErrorCode_UNAUTHENTICATED)
	CodePermissionDenied = ErrorCode(api.ErrorCode_PERMISSION_DENIED)
	CodeTopicNotFound    = ErrorCode(api.ErrorCode_TOPIC_NOT_FOUND)
	CodeBusy             = ErrorCode(api.ErrorCode_BUSY)
	CodeUnavailable      = ErrorCode(api.ErrorCode_UNAVAILABLE)
	CodeTimeout          = ErrorCode(api.ErrorCode_TIMEOUT)
	CodeInternal         = ErrorCode(api.ErrorCode_INTERNAL)
)

// String is the code's name, e.g. "BUSY".
func (c ErrorCode) String() string {
	if s := api.ErrorCode(c).String(); s != "<UNSET>" {
		return s
	}
	return fmt.Sprintf("CODE_%d", int32(c))
}

// Error is a gateway's answer that a call (or one message of a batch, see SendResult.Err) failed. It prints as
// "mqgateway: BUSY: <message>" and matches the sentinels: errors.Is(err, mqgateway.ErrBusy).
type Error struct {
	Code      ErrorCode
	Message   string
	Retryable bool
	// RetryAfter is the gateway's suggested wait (with BUSY); 0 when it gave none.
	RetryAfter time.Duration
	// Index is the 0-based position of the offending message of a send batch, or -1.
	Index int
}

func (e *Error) Error() string {
	s := "mqgateway: " + e.Code.String()
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	if e.Index >= 0 && e.Message != "" {
		s += fmt.Sprintf(" (message %d of the batch)", e.Index)
	}
	return s
}

// Is makes errors.Is(err, ErrBusy) (and the other sentinels) true for every Error with that code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Code == e.Code
}

func sentinel(c ErrorCode) *Error { return &Error{Code: c, Index: -1} }

// Sentinels for errors.Is, one per ErrorCode.
var (
	ErrInvalidArgument  = sentinel(CodeInvalidArgument)
	ErrPayloadTooLarge  = sentinel(CodePayloadTooLarge)
	ErrUnauthenticated  = sentinel(CodeUnauthenticated)
	ErrPermissionDenied = sentinel(CodePermissionDenied)
	ErrTopicNotFound    = sentinel(CodeTopicNotFound)
	ErrBusy             = sentinel(CodeBusy)
	ErrUnavailable      = sentinel(CodeUnavailable)
	ErrTimeout          = sentinel(CodeTimeout)
	ErrInternal         = sentinel(CodeInternal)
)

// ErrConnection matches every failure of the connection itself (refused, reset, a socket deadline): see ConnError.
var ErrConnection = errors.New("mqgateway: connection failed")

// ErrInvalidInput matches arguments refused by the client before anything was written (empty body, 0 messages...).
var ErrInvalidInput = errors.New("mqgateway: invalid input")

// ConnError is a failed connection to one gateway; the outcome of the call that saw it is unknown. The Client
// reconnects on its next call.
type ConnError struct {
	Addr string
	Err  error
}

func (e *ConnError) Error() string {
	return fmt.Sprintf("mqgateway: connection to %s: %v", e.Addr, e.Err)
}
func (e *ConnError) Unwrap() error { return e.Err }

// Is matches ErrConnection.
func (e *ConnError) Is(target error) bool { return target == ErrConnection }

func inputError(format string, args ...interface{}) error {
	return fmt.Errorf("%w: "+format, append([]interface{}{ErrInvalidInput}, args...)...)
}

func fromGatewayError(g *api.GatewayError) *Error {
	e := &Error{Code: ErrorCode(g.Code), Message: g.Message, Retryable: g.Retryable, Index: -1}
	if g.RetryAfterMs != nil {
		e.RetryAfter = time.Duration(*g.RetryAfterMs) * time.Millisecond
	}
	if g.Index != nil {
		e.Index = int(*g.Index)
	}
	e.Retryable = e.Retryable || retryableCode(e.Code)
	return e
}

func fromMessageError(m *api.MessageError) *Error {
	e := &Error{Code: ErrorCode(m.Code), Message: m.Message, Index: -1}
	if m.Retryable != nil {
		e.Retryable = *m.Retryable
	}
	if m.RetryAfterMs != nil {
		e.RetryAfter = time.Duration(*m.RetryAfterMs) * time.Millisecond
	}
	e.Retryable = e.Retryable || retryableCode(e.Code)
	return e
}

func retryableCode(c ErrorCode) bool {
	return c == CodeBusy || c == CodeUnavailable || c == CodeTimeout
}

// IsRetryable reports whether the same call may succeed later: BUSY, UNAVAILABLE, TIMEOUT, a retryable flag, or a
// failed connection.
func IsRetryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return errors.Is(err, ErrConnection)
}
