package smtpd

import (
	"crypto/tls"
	"net"
	"strings"
	"time"
)

// Conn is the backend's read-only view of a connection. Its methods may only be called from Backend and
// Session methods (the connection's goroutine), or from Acknowledged.
type Conn struct{ c *conn }

// ID is the session's unique name, also SessionRecord.ID.
func (c *Conn) ID() string { return c.c.rec.ID }

// Hostname is our name as greeted (Options.Hostname).
func (c *Conn) Hostname() string { return c.c.opts.Hostname }

// RemoteAddr is the client's address.
func (c *Conn) RemoteAddr() net.Addr { return c.c.raw.RemoteAddr() }

// LocalAddr is the address the client connected to.
func (c *Conn) LocalAddr() net.Addr { return c.c.raw.LocalAddr() }

// Helo is the HELO/EHLO argument as sent, "" before one.
func (c *Conn) Helo() string { return c.c.helo }

// TLS returns the TLS state after STARTTLS or, on an implicit-TLS listener, from the start; nil
// without TLS.
func (c *Conn) TLS() *tls.ConnectionState { return c.c.tls }

// Auth returns the AUTH identity accepted, nil if none.
func (c *Conn) Auth() *AuthInfo { return c.c.rec.Auth }

// ClientName returns the client's name from Options.LookupAddr, or "" (no lookup configured, no name, or
// no answer within ten seconds of the connection).
func (c *Conn) ClientName() string {
	cc := c.c
	if cc.rdns == nil || cc.rdnsDone {
		return cc.rdnsName
	}
	select {
	case cc.rdnsName = <-cc.rdns:
	case <-time.After(time.Until(cc.accepted.Add(10 * time.Second))):
	}
	cc.rdnsDone = true
	cc.rec.ClientName = cc.rdnsName
	return cc.rdnsName
}

// clientNameReady is ClientName when the lookup has answered already, else
// "" at once: a HELO is not answered late for want of a PTR record.
func (cc *conn) clientNameReady() string {
	if cc.rdns == nil || cc.rdnsDone {
		return cc.rdnsName
	}
	select {
	case cc.rdnsName = <-cc.rdns:
		cc.rdnsDone = true
		cc.rec.ClientName = cc.rdnsName
	default:
	}
	return cc.rdnsName
}

// Record returns a snapshot of the session record so far. It shares nothing with the live record.
func (c *Conn) Record() SessionRecord { return c.c.rec.clone() }

// ReceivedHeader returns the trace field (RFC 5321 §4.4) for a message of env received on this
// connection, formatted the way Postfix's smtpd writes it, CRLF-terminated and folded:
//
//	Received: from HELO (NAME [IP])
//		(using TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits))
//		by HOSTNAME (mailtrace) with ESMTPS id QID;
//		Mon,  2 Jan 2006 15:04:05 -0700 (MST)
//
// NAME is ClientName or "unknown". Recipients are deliberately left out ("for <...>" would leak Bcc).
// Cipher names are IANA's, not OpenSSL's as in Postfix.
//
// HELO and NAME go in as one token each (writeTraceToken): this line is the trace readers trust, and a HELO
// such as "x (mail.example [192.0.2.1]) by mx.example with ESMTP; DATE" would otherwise write a hop of
// the client's choosing into it.
func (c *Conn) ReceivedHeader(env *Envelope, at time.Time) string {
	name := c.ClientName()
	if name == "" {
		name = "unknown"
	}
	var b strings.Builder
	// One allocation for the whole field, written once per message: the parts are appended in place.
	b.Grow(200 + len(c.c.helo) + len(name) + len(c.c.opts.Hostname) + len(env.Protocol) + len(env.QueueID))
	b.WriteString("Received: from ")
	writeTraceToken(&b, c.c.helo, 255)
	b.WriteString(" (")
	writeTraceToken(&b, name, 255)
	b.WriteString(" [")
	ip := c.c.client.Addr().Unmap()
	if ip.Is6() {
		b.WriteString("IPv6:")
	}
	var buf [64]byte
	if ip.IsValid() {
		b.Write(ip.AppendTo(buf[:0]))
	} else {
		b.WriteString(ip.String()) // "invalid IP", where AppendTo writes nothing
	}
	b.WriteString("])\r\n")
	if st := c.c.tls; st != nil {
		bits := cipherBits(st.CipherSuite)
		b.WriteString("\t(using " + postfixTLSVersion(st.Version) + " with cipher " + tls.CipherSuiteName(st.CipherSuite) +
			" (" + bits + "/" + bits + " bits))\r\n")
	}
	b.WriteString("\tby ")
	b.WriteString(c.c.opts.Hostname)
	b.WriteString(" (mailtrace) with ")
	b.WriteString(env.Protocol)
	b.WriteString(" id ")
	b.WriteString(env.QueueID)
	b.WriteString(";\r\n\t")
	b.Write(at.AppendFormat(buf[:0], "Mon, _2 Jan 2006 15:04:05 -0700 (MST)"))
	b.WriteString("\r\n")
	return b.String()
}

// postfixTLSVersion names a TLS version as OpenSSL and Postfix do ("TLSv1.3").
func postfixTLSVersion(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(v)
}

// cipherBits is the symmetric key size of a cipher suite, for the "(128/128 bits)" Postfix shows.
func cipherBits(suite uint16) string {
	name := tls.CipherSuiteName(suite)
	switch {
	case strings.Contains(name, "AES_128"):
		return "128"
	case strings.Contains(name, "AES_256"), strings.Contains(name, "CHACHA20"):
		return "256"
	}
	return "0"
}
