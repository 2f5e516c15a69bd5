package received

import (
	"math/bits"
	"strings"
)

// marks are format signs seen while parsing, used to guess the MTA family
// when no software name is written.
type marks uint16

const (
	mQmail     marks = 1 << iota // qmail comment-only field, qmail-scanner
	mHeloWord                    // "(HELO name)" as qmail and qpsmtpd write it
	mExim                        // "helo=", "port=" in the from-comment
	mSendmail                    // "(may be forged)", "(from user@localhost)"
	mGoDate                      // Go's time.Time.String date (SendGrid)
	mQmailDate                   // qmail's date: no weekday, "-0000"
	mCourier                     // the id written after the date (Courier-MTA)
)

// softwareFamilies maps words of a software comment to a family; the first
// match wins, so more specific names come first.
var softwareFamilies = [...]struct{ needle, family string }{
	{"postfix", "postfix"},
	{"exim", "exim"},
	{"sendmail", "sendmail"},
	{"qpsmtpd", "qpsmtpd"},
	{"qmail", "qmail"},
	{"haraka", "haraka"},
	{"ecelerity", "momentum"},
	{"momentum", "momentum"},
	{"powermta", "powermta"},
	{"communigate", "communigate"},
	{"mdaemon", "mdaemon"},
	{"domino", "domino"},
	{"opensmtpd", "opensmtpd"},
	{"halon", "halon"},
	{"amavis", "amavis"},
	{"fetchmail", "fetchmail"},
	{"getmail", "getmail"},
	{"cyrus", "cyrus"},
	{"dovecot", "dovecot"},
	{"zonemta", "zonemta"},
	{"smtpsvc", "exchange"},
	{"microsoft", "exchange"},
	{"internet mail service", "exchange"},
	{"ppe hosted", "proofpoint"},
	{"simpleemailservice", "ses"},
	{"coremail", "coremail"},
	{"mailenable", "mailenable"},
	{"stalwart", "stalwart"},
	{"chasquid", "chasquid"},
	{"axigen", "axigen"},
	{"kerio", "kerio"},             // "(Kerio Connect 10.0.2 patch 1)"
	{"icewarp", "icewarp"},         // "(IceWarp 13.0.3.8 x64) with ASMTP (SSL)"
	{"hmailserver", "hmailserver"}, // "with hMailServer"
	{"nemesis", "nemesis"},         // GMX, web.de and IONOS: "with ESMTPSA (Nemesis)"
	{"yandex", "yandex"},           // "(smtp/Yandex)", "(mxfront/Yandex)"
	{"newesmtp", "tencent"},        // QQ Mail: "by newxmesmtplogicsvrszc16-0.qq.com (NewEsmtp)"
	{"messaging server", "oracle"},
	{"intermail", "intermail"},
	{"ibm esmtp", "ibm"},
	{"xmail", "xmail"},
	{"hermes smtp server", "yahoo"}, // "(Oath Hermes SMTP Server)", "(Yahoo Inc. Hermes SMTP Server)"
}

var softwareNeedles = func() *foldSet {
	n := make([]string, len(softwareFamilies))
	for i, f := range softwareFamilies {
		n[i] = f.needle
	}
	return newFoldSet(n...)
}()

// softwareFamily names the family a software text belongs to, or "".
func softwareFamily(s string) string {
	if eqFold(s, "SG") {
		return "sendgrid" // SendGrid: "by ismtpd0001p1lon1.sendgrid.net (SG)"
	}
	m := softwareNeedles.match(s)
	if m == 0 {
		return ""
	}
	return softwareFamilies[bits.TrailingZeros64(m)].family
}

// isSendmailVersion recognises Sendmail's by-comment: "(8.8.5/8.8.5)",
// "(8.14.9/8.14.9/NCO v10.0)", "(8.9.3+3.2W/8.7.3)", "(8.8.5)", "(V8/cf)".
func isSendmailVersion(s string) bool {
	if hasPrefixFold(s, "V8/") {
		return true
	}
	dots, i := 0, 0
	for ; i < len(s) && (isDigit(s[i]) || s[i] == '.'); i++ {
		if s[i] == '.' {
			dots++
		}
	}
	if i == 0 || dots < 2 && !(dots == 1 && i < len(s) && s[i] == '/') {
		return false
	}
	return i == len(s) || s[i] == '/' || s[i] == '+' || s[i] == ' '
}

// hostFamilies maps by-host domains to the provider that runs them.
var hostFamilies = [...]struct{ suffix, family string }{
	{".google.com", "gmail"},
	{".gmail.com", "gmail"},
	{".yahoo.com", "yahoo"},
	{".amazonses.com", "ses"},
	{".sendgrid.net", "sendgrid"},
	{".mailgun.org", "mailgun"},
	{".mailgun.net", "mailgun"},
	{".postgun.com", "mailgun"},
	{".pphosted.com", "proofpoint"},
	{".ppops.net", "proofpoint"},
	{".outlook.com", "m365"},
	{".office365.com", "m365"},
	{".exchangelabs.com", "m365"},
	{".messagelabs.com", "messagelabs"},
	{".mimecast.com", "mimecast"},
	{".mandrillapp.com", "mandrill"},
}

func hostFamily(host string) string {
	for _, f := range hostFamilies {
		if hasSuffixFold(host, f.suffix) || eqFold(host, f.suffix[1:]) {
			return f.family
		}
	}
	if hasPrefixFold(host, "email-smtp.") && hasSuffixFold(host, ".amazonaws.com") {
		return "ses" // SES submission endpoints
	}
	return ""
}

// guessMTA names the family of the software that wrote the field. It is a
// guess from what the field shows, never a verified fact.
func (b *builder) guessMTA() string {
	h := &b.h
	fam := softwareFamily(h.Software)
	if fam == "" {
		fam = withFamily(h.With)
	}
	switch {
	case fam == "exchange" && hostFamily(h.By.Host) == "m365":
		return "m365"
	case fam != "":
		return fam
	}
	if host := hostFamily(h.By.Host); host != "" {
		return host // before the version test: Proofpoint runs Sendmail
	}
	if b.swFromBy && isSendmailVersion(h.Software) {
		return "sendmail"
	}
	return b.markFamily()
}

// withFamily reads families from the protocol text.
func withFamily(with string) string {
	switch {
	case hasPrefixFold(with, "Microsoft"), eqFold(with, "mapi"):
		return "exchange"
	case hasPrefixFold(with, "qmail-scanner"):
		return "qmail"
	}
	return softwareFamily(with)
}

// markFamily guesses from format signs alone.
func (b *builder) markFamily() string {
	h := &b.h
	switch {
	case b.marks&mQmail != 0:
		return "qmail"
	case b.marks&mExim != 0 || isEximID(h.ID):
		return "exim"
	case b.marks&mSendmail != 0:
		return "sendmail"
	case h.TLS == "Google Transport Security" || h.By.IP != "" && isGoogleInternal(h):
		return "gmail"
	case h.ID == "" && (b.marks&mHeloWord != 0 || b.marks&mQmailDate != 0 && b.from.bareIP):
		// qmail-smtpd: "from rdns (HELO x) (ip) by host with SMTP; date",
		// or "from rdns (ip)" with its date (no weekday, "-0000").
		return "qmail"
	case b.marks&mGoDate != 0:
		return "sendgrid"
	case b.marks&mCourier != 0:
		return "courier"
	}
	return ""
}

// isGoogleInternal recognises Gmail's internal hops: a bare address as the
// by-host, "with SMTP id" or "with HTTP".
func isGoogleInternal(h *Hop) bool {
	if _, ok := looksIP(h.By.Host); !ok || strings.HasPrefix(h.By.Host, "[") {
		return false
	}
	return eqFold(h.With, "HTTP") || h.ID != "" && (eqFold(h.With, "SMTP") || eqFold(h.With, "POP3"))
}

// isEximID recognises Exim message ids: "1ZC1sl-0006b4-TU" and the 4.97
// form "1sxswz-00COfKQxa8-abcd".
func isEximID(id string) bool {
	switch len(id) {
	case 16:
		return id[6] == '-' && id[13] == '-' && alnumExcept(id, 6, 13)
	case 23:
		return id[6] == '-' && id[18] == '-' && alnumExcept(id, 6, 18)
	}
	return false
}

// isCourierID recognises Courier-MTA's message ids, three hexadecimal
// numbers of 16, 16 and 8 digits: "00000000000300A5.000000006643399E.00003F2A".
func isCourierID(id string) bool {
	if len(id) != 42 || id[16] != '.' || id[33] != '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if i != 16 && i != 33 && !isHex(id[i]) {
			return false
		}
	}
	return true
}

func alnumExcept(s string, a, b int) bool {
	for i := 0; i < len(s); i++ {
		if i != a && i != b && !isAlpha(s[i]) && !isDigit(s[i]) {
			return false
		}
	}
	return true
}
