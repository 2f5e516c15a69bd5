package smtpd

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// cmdStartTLS answers STARTTLS (RFC 3207 §4) and, after the 220, runs the handshake. Octets the client
// sent behind the command before the handshake are discarded and recorded (the CVE-2011-0411 command
// injection), and the session starts over: no HELO, no transaction, no AUTH (§4.2).
func (c *conn) cmdStartTLS(arg string) Reply {
	switch {
	case c.srv.tlsConfig == nil:
		return reply(CodeNotImplemented, esInvalidCmd, "Error: command not implemented")
	case c.tls != nil:
		return reply(CodeBadSequence, esInvalidCmd, "Error: TLS already active")
	case arg != "": // RFC 3207 §4: 501 for a STARTTLS with parameters
		return reply(CodeParamSyntax, esBadArgs, "Syntax: STARTTLS")
	}
	c.reply(reply(CodeReady, esOK, "Ready to start TLS"))
	if err := c.flush(); err != nil {
		c.closing = true
		return Reply{}
	}
	if n := c.br.Buffered(); n > 0 {
		junk, _ := c.br.Peek(min(n, 64))
		c.anomaly(AnomalySTARTTLSInjection, InSession, c.inOff, c.cmdNo, strconv.Itoa(n)+" plaintext octets after STARTTLS discarded: "+octetPreview(junk))
		c.br.Discard(n)
		c.inOff += int64(n)
	}
	if !c.handshake(c.cmdOff) {
		c.closing = true
		return Reply{}
	}
	c.resetTx()
	c.helo, c.esmtp, c.rec.Auth = "", false, nil
	return Reply{}
}

// handshake runs the server side of a TLS handshake on the connection, within Options.CommandTimeout,
// and on success makes every later read and write go through it and records it. A failure is recorded
// as an anomaly at off, unless the client just left (a port scanner) or the server is shutting down;
// the caller then ends the session, since the stream is no longer in step with any protocol.
func (c *conn) handshake(off int64) bool {
	tc := tls.Server(c.tc, c.srv.tlsConfig)
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.CommandTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		c.handshakeFailed(off, err)
		return false
	}
	st := tc.ConnectionState()
	c.tls = &st
	c.nc = tc
	c.br.Reset(flushReader{c}) // discards nothing: the buffer is empty before a handshake
	c.bw.Reset(tc)
	c.rec.TLS = &TLSInfo{
		Version: tls.VersionName(st.Version), CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		ServerName: st.ServerName, Implicit: c.implicitTLS, At: c.srv.now(),
	}
	return true
}

// handshakeFailed records why a handshake failed. A client that sent something other than a TLS
// record (plain SMTP or HTTP on an implicit-TLS port) has its first octets quoted. A client that
// connects to an implicit-TLS port and leaves without a word (a port scan) is no failed handshake: the
// close reason says it, as it does for one that leaves the plain port before the greeting.
func (c *conn) handshakeFailed(off int64, err error) {
	var rhe tls.RecordHeaderError
	switch {
	case c.shutdownErr(err) || c.srv.shuttingDown() && errors.Is(err, net.ErrClosed):
		c.rec.CloseReason = "server shutdown"
		return
	case c.implicitTLS && (errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)):
		c.rec.CloseReason = "client left during TLS handshake"
		return
	case errors.As(err, &rhe):
		detail := err.Error() + ": " + octetPreview(rhe.RecordHeader[:])
		c.anomaly(AnomalyTLSHandshake, InSession, off, c.cmdNo, detail)
		c.rec.CloseReason = "TLS handshake failed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		c.anomaly(AnomalyTLSHandshake, InSession, off, c.cmdNo, "no handshake within "+c.opts.CommandTimeout.String())
		c.rec.CloseReason = "TLS handshake timeout"
	default:
		c.anomaly(AnomalyTLSHandshake, InSession, off, c.cmdNo, err.Error())
		c.rec.CloseReason = "TLS handshake failed"
	}
}

// buildTLSConfig chooses the TLS configuration of STARTTLS and implicit TLS: Options.TLSConfig as given, else the certificate
// files, else a self-signed certificate made now for Options.Hostname. It returns nil when STARTTLS is
// disabled: the server then has no TLS.
func buildTLSConfig(o *Options) (*tls.Config, error) {
	switch {
	case o.DisableSTARTTLS:
		return nil, nil
	case o.TLSConfig != nil:
		return o.TLSConfig, nil
	}
	var cert tls.Certificate
	var err error
	if o.TLSCertFile != "" || o.TLSKeyFile != "" {
		cert, err = tls.LoadX509KeyPair(o.TLSCertFile, o.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("smtpd: load TLS certificate: %w", err)
		}
	} else if cert, err = SelfSignedCertificate(o.Hostname); err != nil {
		return nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// SelfSignedCertificate makes an ECDSA P-256 certificate for host, valid from an hour ago for a year.
// Clients that want to verify it can trust its Leaf.
func SelfSignedCertificate(host string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtpd: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtpd: generate serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: host, Organization: []string{"mailtrace sink"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtpd: self-sign certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("smtpd: parse certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
