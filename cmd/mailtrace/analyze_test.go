package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStopAfterSignal: after a signal, a run that has not ended within the
// grace period is ended with status 1, and says why; one that ends in time,
// or gets no signal, is left alone.
func TestStopAfterSignal(t *testing.T) {
	for _, tt := range []struct {
		name          string
		signal, ends  bool
		wantExit      int
		wantSomething bool
	}{
		{"stuck after a signal", true, false, exitRuntime, true},
		{"ends in time", true, true, -1, false},
		{"no signal", false, false, -1, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan struct{})
			exited := make(chan int, 1)
			var stderr strings.Builder
			finished := make(chan struct{})
			go func() {
				defer close(finished)
				stopAfterSignal(ctx, done, 50*time.Millisecond, &stderr, func(code int) { exited <- code })
			}()
			if tt.signal {
				cancel()
			}
			if tt.ends {
				close(done)
			}
			got := -1
			select {
			case got = <-exited:
			case <-time.After(500 * time.Millisecond):
			}
			if !tt.ends {
				close(done)
			}
			<-finished
			if got != tt.wantExit || (stderr.Len() > 0) != tt.wantSomething {
				t.Errorf("exit %d, stderr %q; want exit %d", got, stderr.String(), tt.wantExit)
			}
		})
	}
}

// TestWorkersFor: network DNS raises the default number of workers, never
// a number given with --workers, and no other DNS mode does.
func TestWorkersFor(t *testing.T) {
	for _, tt := range []struct {
		set     bool
		workers int
		mode    string
		want    int
	}{
		{false, 2, "network", networkWorkers},
		{false, 64, "network", 64},
		{true, 3, "network", 3},
		{false, 2, "offline", 2},
		{false, 2, "zone", 2},
	} {
		if got := workersFor(tt.set, tt.workers, tt.mode); got != tt.want {
			t.Errorf("workersFor(%v, %d, %q) = %d, want %d", tt.set, tt.workers, tt.mode, got, tt.want)
		}
	}
}
