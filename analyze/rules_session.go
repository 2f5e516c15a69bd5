package analyze

import (
	"fmt"
	"strings"
)

// Session rules: when mailtrace received the message itself, the SMTP
// session is evidence no header can fake. The receiver records anomalies
// with stable codes; these rules turn them into findings on the sink's own
// hop (the newest). Codes are grouped by what they reveal.

// sessionRules maps the receiver's anomaly codes to a rule and a severity.
var sessionRules = map[string]struct {
	rule     string
	severity Severity
}{
	"pregreet":                {"session-pregreet", SeverityMedium},
	"pipelining":              {"session-pipelining", SeverityLow},
	"starttls.injection":      {"session-injection", SeverityHigh},
	"data.leading-whitespace": {"session-injection", SeverityHigh},
	"data.smuggling":          {"session-smuggling", SeverityHigh},
	"cmd.bare-lf":             {"session-bare-line-end", SeverityLow},
	"cmd.bare-cr":             {"session-bare-line-end", SeverityLow},
	"data.bare-lf":            {"session-bare-line-end", SeverityInfo},
	"data.bare-cr":            {"session-bare-line-end", SeverityLow},
	"helo.our-name":           {"session-helo", SeverityMedium},
	"helo.our-ip":             {"session-helo", SeverityMedium},
	"helo.literal-mismatch":   {"session-helo", SeverityMedium},
	"helo.literal-private":    {"session-helo", SeverityInfo},
	"helo.syntax":             {"session-helo", SeverityLow},
	"helo.bare-ip":            {"session-helo", SeverityLow},
	"helo.not-fqdn":           {"session-helo", SeverityInfo},
	"helo.changed":            {"session-helo", SeverityLow},
	"helo.provider":           {"session-helo", SeverityMedium},
	"data.8bit":               {"session-8bit", SeverityInfo},
	"data.nul":                {"session-protocol", SeverityLow},
	"cmd.lenient-syntax":      {"session-protocol", SeverityInfo},
	"cmd.line-too-long":       {"session-protocol", SeverityInfo},
	"data.line-too-long":      {"session-protocol", SeverityInfo},
	"auth.cleartext":          {"session-protocol", SeverityInfo},
	"http":                    {"session-protocol", SeverityLow},
}

func init() {
	for _, r := range []*Rule{
		{ID: "session-pregreet", Severity: SeverityMedium, Title: "Client talked before the greeting",
			Explain: "The client sent data before the server's 220 greeting (RFC 5321 §3.1 says to wait). Real MTAs wait; spam bots that fire a whole session at once do not, which is why Postfix's postscreen rejects them. --greet-delay widens the window.",
			Example: "EHLO sent 0 ms after connect, before 220"},
		{ID: "session-pipelining", Severity: SeverityLow, Title: "Commands pipelined without PIPELINING",
			Explain: "The client sent commands ahead without waiting for replies where the server had not offered PIPELINING (RFC 2920), or before EHLO. Bulk senders and bots do this; real MTAs follow the extension negotiation.",
			Example: "HELO x / MAIL FROM / RCPT TO in one packet"},
		{ID: "session-injection", Severity: SeverityHigh, Title: "Text injected into the session or the receiver's own lines",
			Explain: "The client sent commands after STARTTLS before the TLS handshake (CVE-2011-0411 command injection), or its message text started with white space, which a reader of the stored file takes as more of mailtrace's own Received field (RFC 5322 §2.2.3 folding): a TLS cipher or a for clause on the trusted hop that the session never had. The commands were discarded and the analysis reads mailtrace's fields apart from the text, but no honest client does either.",
			Example: "STARTTLS\\r\\nRSET\\r\\n in one write; DATA starting \\t(using TLSv1.3 with cipher ...)"},
		{ID: "session-smuggling", Severity: SeverityHigh, Title: "SMTP smuggling attempt",
			Explain: "The message text held an end-of-data sequence with bare line ends (<LF>.<LF>, <CR>.<CR><LF>, ...). mailtrace kept the message whole, but a lenient server downstream would split it into two, the second a forged message (SMTP smuggling, 2023).",
			Example: "DATA ... \\n.\\nMAIL FROM:<ceo@bank.example> ..."},
		{ID: "session-bare-line-end", Severity: SeverityLow, Title: "Bare CR or LF line ends",
			Explain: "RFC 5321 §2.3.8 requires CRLF. Bare LF or CR in commands or text shows a hand-rolled client, and is the raw material of smuggling attacks.",
			Example: "EHLO x\\n"},
		{ID: "session-helo", Severity: SeverityMedium, Title: "Invalid or impersonating HELO in the session",
			Explain: "The client's HELO/EHLO was not a valid domain or address literal, claimed to be this server (its name from another host, or its address), named an address that is not the client's (RFC 5321 §4.1.1.1, §4.1.3; info for a private address, which a client behind NAT, a container for one, knows itself by), or named a big provider (Google, Microsoft, Yahoo, Apple, Amazon SES) from a loopback or private address or from a client whose reverse DNS name is not that provider's.",
			Example: "EHLO [198.51.100.1] from 203.0.113.9"},
		{ID: "session-8bit", Severity: SeverityInfo, Title: "8-bit data without BODY=8BITMIME",
			Explain: "The message held 8-bit octets although MAIL FROM did not declare BODY=8BITMIME (RFC 6152 §3). Common in badly written senders.",
			Example: "MAIL FROM:<a@b> then Latin-1 text"},
		{ID: "session-protocol", Severity: SeverityInfo, Title: "Other protocol irregularities",
			Explain: "Lenient syntax, overlong lines, NUL octets, credentials in clear, HTTP on the SMTP port: departures from RFC 5321 recorded by the receiver.",
			Example: "MAIL FROM: <a@b> (space after the colon)"},
	} {
		id := r.ID
		r.Check = func(c *Context) []Finding { return sessionFindings(c, id) }
		register(r)
	}
}

// sessionFindings reports the anomalies that belong to rule id, one
// finding per anomaly code, on the sink's own (newest) hop.
func sessionFindings(c *Context, id string) []Finding {
	if len(c.Anomalies) == 0 {
		return nil // read from a file: no session to judge
	}
	return sessionFindingsOf(c, id) // apart, so that the test above is inlined in every session rule
}

func sessionFindingsOf(c *Context, id string) []Finding {
	byCode := map[string][]SessionAnomaly{}
	var order []string
	for _, a := range c.Anomalies {
		if sessionRules[a.Code].rule != id {
			continue
		}
		if len(byCode[a.Code]) == 0 {
			order = append(order, a.Code)
		}
		byCode[a.Code] = append(byCode[a.Code], a)
	}
	var hops []int
	if n := len(c.Report.Hops); n > 0 {
		hops = []int{n}
	}
	var out []Finding
	for _, code := range order {
		list := byCode[code]
		first := list[0]
		msg := fmt.Sprintf("SMTP session: %s", code)
		if first.Detail != "" {
			msg += ": " + first.Detail
		}
		if len(list) > 1 {
			msg += fmt.Sprintf(" (%d times)", len(list))
		}
		out = append(out, Finding{Severity: sessionRules[code].severity, Hops: hops, Message: msg,
			Evidence: anomalyEvidence(list)})
	}
	return out
}

func anomalyEvidence(list []SessionAnomaly) string {
	parts := make([]string, 0, min(len(list), 3))
	for _, a := range list[:min(len(list), 3)] {
		parts = append(parts, fmt.Sprintf("%s at %s offset %d (line %d)", a.Code, a.Where, a.Offset, a.Line))
	}
	return strings.Join(parts, "; ")
}
