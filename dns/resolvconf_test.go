package dns

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestParseResolvOptions(t *testing.T) {
	for _, tt := range []struct {
		name, conf, env string
		want            resolvOptions
	}{
		{"none", "nameserver 192.0.2.1\n", "", resolvOptions{}},
		{"all three", "nameserver 192.0.2.1\noptions timeout:1 attempts:3 rotate ndots:2\n", "", resolvOptions{time.Second, 3, true}},
		{"rotate from the environment", "options timeout:4\n", "rotate", resolvOptions{timeout: 4 * time.Second, rotate: true}},
		{"rotate takes no value", "options rotate:1\n", "", resolvOptions{}},
		{"later line wins", "options timeout:4\noptions timeout:1\n", "", resolvOptions{timeout: time.Second}},
		{"environment overrides the file", "options timeout:4 attempts:3\n", "timeout:7", resolvOptions{timeout: 7 * time.Second, attempts: 3}},
		{"glibc's bounds", "options timeout:99 attempts:9\n", "", resolvOptions{timeout: 30 * time.Second, attempts: 5}},
		{"zero is the least", "options timeout:0 attempts:0\n", "", resolvOptions{timeout: time.Second, attempts: 1}},
		{"malformed values skipped", "options timeout:x attempts:-2 timeout attempts:\n", "", resolvOptions{}},
		{"comments", "# options timeout:9\n; options timeout:8\noptions attempts:4\n", "", resolvOptions{attempts: 4}},
		// glibc takes a '#' inside a line for an unknown option.
		{"no comment inside a line", "options attempts:4 # timeout:9\n", "", resolvOptions{timeout: 9 * time.Second, attempts: 4}},
		{"the keyword starts its line", "nameserver 192.0.2.1 options timeout:9\n options timeout:8\noptionstimeout:7\n", "", resolvOptions{}},
		{"tabs", "options\ttimeout:3\n", "", resolvOptions{timeout: 3 * time.Second}},
	} {
		if got := parseResolvOptions(tt.conf, tt.env); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestNetworkResolvOptions: resolv.conf's options apply to its own servers;
// explicit options and given servers keep theirs.
func TestNetworkResolvOptions(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(conf, []byte("nameserver 127.0.0.1\noptions timeout:1 attempts:4 rotate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("RES_OPTIONS", "attempts:3")
	for _, tt := range []struct {
		name     string
		opts     Options
		timeout  time.Duration
		attempts int
		rotate   bool
	}{
		{"from resolv.conf", Options{ResolvConf: conf}, time.Second, 3, true},
		{"explicit", Options{ResolvConf: conf, Timeout: 5 * time.Second, Attempts: 1}, 5 * time.Second, 1, true},
		{"given servers", Options{ResolvConf: conf, Servers: []string{"127.0.0.1"}}, defaultTimeout, defaultAttempts, false},
		{"given servers, rotated", Options{Servers: []string{"127.0.0.1"}, Rotate: true}, defaultTimeout, defaultAttempts, true},
	} {
		n, err := NewNetwork(tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if n.timeout != tt.timeout || n.attempts != tt.attempts || n.rotate != tt.rotate {
			t.Errorf("%s: timeout %v attempts %d rotate %v, want %v, %d and %v", tt.name, n.timeout, n.attempts, n.rotate, tt.timeout, tt.attempts, tt.rotate)
		}
	}
}

// FuzzResolvOptions: any resolv.conf and RES_OPTIONS give options within
// glibc's bounds, and never panic.
func FuzzResolvOptions(f *testing.F) {
	f.Add("nameserver 192.0.2.1\noptions timeout:1 attempts:3 rotate\n", "timeout:7")
	f.Add("options timeout:99999999999999999999 attempts:-1\n", "attempts:")
	f.Add("options\ttimeout:0\r\n# x\n", "")
	f.Fuzz(func(t *testing.T, conf, env string) {
		o := parseResolvOptions(conf, env)
		if o.timeout < 0 || o.timeout > maxResolvTimeout*time.Second || o.attempts < 0 || o.attempts > maxResolvAttempts {
			t.Errorf("out of bounds: %+v", o)
		}
	})
}
