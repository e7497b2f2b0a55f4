package pipeline

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"mqgateway"
)

// Stage is what a consuming stage (cmd/enrich, cmd/resize) runs with: a context that ends on SIGINT/SIGTERM or on
// Cancel, a Producer for its output and a Consumer for its input.
type Stage struct {
	Ctx      context.Context
	Cancel   context.CancelFunc
	Producer *mqgateway.Producer
	Consumer *mqgateway.Consumer
	stop     context.CancelFunc
}

// NewStage connects a stage to the gateways of f; it exits with status 2 and the reason when either client cannot be
// made (a bad address list, for instance).
func NewStage(f Flags) *Stage {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(ctx)
	p, err := mqgateway.NewProducer(f.Addrs())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	c, err := mqgateway.NewConsumer(f.Addrs())
	if err != nil {
		p.Close()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	return &Stage{Ctx: ctx, Cancel: cancel, Producer: p, Consumer: c, stop: stop}
}

// Close releases the producer and the signal handler.
func (s *Stage) Close() {
	s.Cancel()
	s.stop()
	_ = s.Producer.Close()
}
