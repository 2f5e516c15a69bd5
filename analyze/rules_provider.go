package analyze

import "strings"

// Provider fingerprints: a big mailbox provider sends its users' mail
// only through its own hosts, so a message that claims one in From or in
// its Message-ID must have passed one of them.
func init() {
	register(&Rule{
		ID: "provider-mismatch", Severity: SeverityMedium,
		Field: "From",
		Title: "Claims Gmail, Outlook or Yahoo but never passed their hosts",
		Explain: "The From address is a Gmail, Outlook.com/Hotmail or Yahoo/AOL mailbox, or the Message-ID " +
			"is in the form that provider's servers write, yet no hop of the Received chain is one of " +
			"that provider's hosts (by name, provider family or published address range). Mail from such " +
			"a mailbox leaves only through the provider.",
		Example: "From: someone@gmail.com\nReceived: from dsl-1-2-3-4.example-isp.net ([192.0.2.4]) by mx.example.net ...",
		Check:   checkProvider,
	})
}

// mailboxProviders are the consumer mailbox domains whose mail leaves
// only through the provider's own servers, by provider family.
var mailboxProviders = map[string]string{
	"gmail.com": "google", "googlemail.com": "google",
	"outlook.com": "microsoft", "hotmail.com": "microsoft", "live.com": "microsoft", "msn.com": "microsoft",
	"hotmail.co.uk": "microsoft", "hotmail.fr": "microsoft", "outlook.fr": "microsoft", "live.co.uk": "microsoft",
	"yahoo.com": "yahoo", "ymail.com": "yahoo", "rocketmail.com": "yahoo", "aol.com": "yahoo",
	"yahoo.co.uk": "yahoo", "yahoo.fr": "yahoo", "yahoo.de": "yahoo",
}

// mailboxProvider is mailboxProviders[domain]. Most domains are none of
// them, told by their length and first byte (providerLenFirst) before
// the map is asked.
func mailboxProvider(domain string) string {
	if domain == "" || len(domain) >= len(providerLenFirst) || providerLenFirst[len(domain)]&(1<<(domain[0]%64)) == 0 {
		return ""
	}
	return mailboxProviders[domain]
}

// providerLenFirst[n] has bit b%64 set for each mailbox provider domain n
// long that starts with byte b.
var providerLenFirst = func() (t [32]uint64) {
	for d := range mailboxProviders {
		t[len(d)] |= 1 << (d[0] % 64)
	}
	return t
}()

// msgIDProvider recognises the Message-ID forms the providers' servers
// write: "@mail.gmail.com", "@*.prod.outlook.com", "@*.mail.yahoo.com".
func msgIDProvider(domain string) string {
	// Each form ends in "l.com", "k.com" or "o.com" and is 14 bytes or
	// more: most domains are told apart by their last five.
	n := len(domain)
	if n < len("mail.gmail.com") || domain[n-4:] != ".com" || domain[n-5] != 'l' && domain[n-5] != 'k' && domain[n-5] != 'o' {
		return ""
	}
	switch {
	case domain == "mail.gmail.com":
		return "google"
	case strings.HasSuffix(domain, ".prod.outlook.com"), strings.HasSuffix(domain, ".outlook.com") && strings.Contains(domain, "prd"):
		return "microsoft"
	case strings.HasSuffix(domain, ".mail.yahoo.com"), domain == "mail.yahoo.com":
		return "yahoo"
	}
	return ""
}

func checkProvider(c *Context) []Finding {
	if !c.chainNamed() {
		return nil
	}
	var out []Finding
	from := c.fromDomainFacts().name // domainOf(c.fromAddress())
	if p := mailboxProvider(from); p != "" && !c.chainHas(p) {
		out = append(out, Finding{Message: "From is a " + from + " mailbox but no hop is " + p + "'s",
			Evidence: "From: " + c.firstValue(fieldFrom)})
	}
	if p := msgIDProvider(c.msgIDFacts().name); p != "" && !c.chainHas(p) {
		out = append(out, Finding{Message: "Message-ID is in " + p + "'s form but no hop is " + p + "'s",
			Evidence: "Message-ID: " + c.Report.Header.MessageID, Line: c.fieldLine("Message-ID")})
	}
	return out
}

// chainNamed reports whether at least one hop was parsed with a public
// name: without one nothing can be said about who carried the message.
func (c *Context) chainNamed() bool {
	hf := c.hopFacts()
	for i := range hf {
		if hf[i].by.fqdn {
			return true
		}
	}
	return false
}

// chainHas reports whether any hop was written by or came from the
// provider: by name, provider family or published address range.
func (c *Context) chainHas(provider string) bool {
	hf, ranges := c.hopFacts(), providerRanges[provider]
	for i := range hf {
		// The HELO is left out: it is the client's own word.
		if f := &hf[i]; f.by.family == provider || f.rdns.family == provider || f.inRanges(ranges) {
			return true
		}
	}
	return false
}
