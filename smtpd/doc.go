// Package smtpd is the SMTP receiver of mailtrace: an ESMTP engine that accepts mail from anyone and
// records exactly what each client sent and when, for forgery analysis. It knows nothing of analysis:
// it hands envelopes and message text to a Backend (package capture is the Maildir sink) and keeps a
// SessionRecord of the conversation, the anomalies it saw, and their byte offsets.
//
// It is written on the standard library (net, crypto/tls) rather than an SMTP framework, because a
// framework hides what the sink must see: the exact octets, their line ends and their timing.
//
// # Standards
//
//   - RFC 5321 (SMTP): every verb it names is answered on purpose; replies and codes per §4.2; limits
//     per §4.5.3; timeouts per §4.5.3.2; transparency and end of data per §4.1.1.4 and §4.5.2.
//   - RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8, RFC 2920 PIPELINING, RFC 2034/3463
//     ENHANCEDSTATUSCODES, RFC 3207 STARTTLS, RFC 8314 §3.3 implicit TLS (Server.ServeTLS: the
//     handshake first, then the session as after STARTTLS), RFC 3030 CHUNKING (BDAT, without BINARYMIME),
//     RFC 4954 AUTH with PLAIN (RFC 4616) and LOGIN, RFC 3461 DSN parameters (recorded, no DSNs are
//     sent), RFC 3848 / RFC 6531 §3.7.4 "with" keywords in Received.
//
// # Where it departs from the RFCs, on purpose
//
//   - It accepts everything a sink can: any HELO argument (checked and recorded), any sender and
//     recipient that parses, any AUTH credentials when Options.AuthAcceptAny is set.
//   - Like Postfix, it tolerates a space after "FROM:"/"TO:", a path without angle brackets, a MAIL
//     AUTH= value that is not xtext (RFC 4954 §5), and a command line ended by a bare LF; each is
//     recorded as an anomaly.
//   - Command lines may be Options.MaxLineLength octets (default 1000, as text lines), not 512
//     (§4.5.3.1.4): extensions (SIZE, DSN, AUTH initial responses) make longer lines legitimate. AUTH
//     responses are held to the same limit rather than RFC 4954's 12288.
//   - STARTTLS is allowed after HELO as well as EHLO; the session starts over either way.
//   - An HTTP request line gets 421 and a close. On an implicit-TLS listener, anything that is not a
//     TLS handshake (plain SMTP, HTTP) is closed at once and recorded (AnomalyTLSHandshake, with its
//     first octets), a client that sends nothing is closed after CommandTimeout, and a connection over
//     MaxConns is closed without a word: a 421 in clear would reach the client as a broken TLS record.
//
// # Smuggling
//
// The data ends at <CRLF>.<CRLF> and nowhere else. A bare CR or LF never ends a line, so <LF>.<LF>,
// <CR>.<CR><LF>, <LF>.<CR><LF>, <CR><LF>.<LF>, <CR>.<LF> and the like stay inside the message: the
// message is stored whole, byte for byte but for dot-stuffing, with an AnomalyDataSmuggling at the offset
// of the dot. Only a line that starts after a CRLF is unstuffed (RFC 5321 §4.5.2), so in <CRLF>.<LF> and
// <CRLF>.<CR> the dot starts a line of more than a dot and is removed as transparency: the offset is
// where it was, the bare LF or CR that followed it. With Options.RejectBareLineEnds, a message with any
// bare CR or LF is refused whole (554) after its true end instead. Either way the smuggled commands are
// never run and no second message appears. In commands, a CR that is not followed by LF makes the line
// invalid (501).
//
// # Defences
//
// Line limit (500 for commands; 554 after the end of data for text lines), size limit (552, early on
// SIZE=, after the end of data or at the BDAT chunk otherwise), recipient limit (452), an idle timeout
// on every read and write (Options.CommandTimeout) and a limit on the whole session
// (Options.ConnTimeout), both answered 421; a cap on concurrent sessions (Options.MaxConns; the excess
// gets 421 at once); 421 and a close after Options.MaxErrors client errors (500-504, 555). Plaintext
// pipelined behind STARTTLS is discarded, never run after the handshake (CVE-2011-0411). Records are
// capped (transcript lines, anomalies per code and session, or per code and message for those of a
// message's text, so that every message keeps its first of each) so a hostile session cannot grow them
// without bound.
//
// # Session forensics
//
// Anomalies (see the Anomaly* constants for the stable codes) record: talk before the greeting (the
// window is Options.GreetDelay, and with no delay the octets already in the socket when the greeting
// is due), commands sent ahead without PIPELINING or after a verb that must end a group, bare CR/LF in
// commands and text, HELO syntax and impersonation (our name, our address, an address literal that is
// not the client's), 8-bit text without BODY=8BITMIME, NUL octets, over-long lines, oversized and
// incomplete messages, cleartext AUTH. Offsets are in the client's cleartext byte stream (Where ==
// InSession; TLS records are not counted, their plaintext is) or in the message as stored
// (InMessage). The transcript keeps every client and server line with its time; AUTH secrets are
// replaced by "<redacted N octets>".
//
// # Timing of replies
//
// Replies to pipelined commands are batched and flushed whenever the engine needs more input. The 250
// for a message is sent only after MessageWriter.Commit returned (the message is durable); anything
// slow belongs in Acknowledger.Acknowledged, which runs after the 250 is written.
package smtpd
