//go:build unix

package smtpd

import (
	"net"
	"syscall"
)

// kernelPeek returns octets the client has already sent that are waiting in the socket buffer, without
// consuming them or waiting (MSG_PEEK|MSG_DONTWAIT). It lets pre-greeting talk be seen even with
// Options.GreetDelay at zero: the window is then from accept to the greeting.
func kernelPeek(nc net.Conn) []byte {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	buf := make([]byte, 64)
	n := 0
	rc.Read(func(fd uintptr) bool {
		m, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		if err == nil && m > 0 {
			n = m
		}
		return true // never wait
	})
	return buf[:n]
}
