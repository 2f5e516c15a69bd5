//go:build !unix

package smtpd

import "net"

// kernelPeek cannot look into the socket buffer on this platform; only Options.GreetDelay finds early
// talkers here.
func kernelPeek(net.Conn) []byte { return nil }
