package capture_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mailtrace/mailtrace/smtpd"
	"github.com/mailtrace/mailtrace/smtpd/capture"
)

// Example wires the engine to the Maildir sink the way a command layer would: deliveries come out on a
// channel after their 250, "exit after N messages" is a comparison with Seq, and shutdown is graceful.
func Example() {
	deliveries := make(chan capture.Delivery, 64)
	md, err := capture.New(capture.Options{
		Dir:        "./mailtrace-mail",
		OnDelivery: func(d capture.Delivery) { deliveries <- d }, // hand off: never analyse here
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := smtpd.NewServer(smtpd.Options{Hostname: "mx.example", Addr: "127.0.0.1:2525"}, md)
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }() // errors.Is(err, smtpd.ErrAddrInUse) when the port is taken

	const exitAfter = 10
	for running := true; running; {
		select {
		case d := <-deliveries:
			fmt.Println(d.QueueID, d.Path, d.Envelope.From) // read d.Path from d.HeaderSize on, analyse
			running = d.Seq < exitAfter
		case err := <-served:
			if !errors.Is(err, smtpd.ErrServerClosed) {
				fmt.Println(err)
			}
			running = false
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv.Shutdown(ctx) // transactions in progress may finish; everyone else gets 421
	md.Close()        // after Shutdown: flushes the last callbacks
}
