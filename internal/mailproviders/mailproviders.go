// Package mailproviders knows the big mail providers and services by the
// organisational domains they name their hosts under: one table for the
// analysis (continuity, fingerprints, HELO claims) and for the SMTP
// receiver's HELO checks.
package mailproviders

import "strings"

// families maps organisational domains to the provider that runs
// them. A provider names its hosts under several domains (Microsoft 365
// relays under outlook.com, office365.com and exchangelabs.com in one
// chain), so continuity and fingerprints compare families, not domains.
// Only domains the provider's own hosts live under belong here: not
// googleusercontent.com, whose hosts are Google Cloud customers' machines
// that anyone can rent and name a HELO after Gmail from.
var families = map[string]string{
	"google.com": "google", "gmail.com": "google", "googlemail.com": "google", "1e100.net": "google",
	"googlegroups.com": "google", "outlook.com": "microsoft", "office365.com": "microsoft", "exchangelabs.com": "microsoft",
	"hotmail.com": "microsoft", "live.com": "microsoft", "msn.com": "microsoft", "microsoft.com": "microsoft",
	"outlook.fr": "microsoft", "hotmail.co.uk": "microsoft", "hotmail.fr": "microsoft", "live.co.uk": "microsoft",
	"yahoo.com": "yahoo", "yahoo.net": "yahoo", "yahoodns.net": "yahoo", "ymail.com": "yahoo",
	"aol.com": "yahoo", "aim.com": "yahoo", "yahoo.co.uk": "yahoo", "yahoo.fr": "yahoo", "yahoo.de": "yahoo",
	"rocketmail.com": "yahoo",
	"pphosted.com":   "proofpoint", "ppops.net": "proofpoint", "proofpoint.com": "proofpoint",
	"ppe-hosted.com": "proofpoint",
	"oracle.com":     "oracle", "oraclecloud.com": "oracle", "oracleemaildelivery.com": "oracle",
	"amazonses.com": "amazon-ses", "amazonaws.com": "amazon-ses",
	"mailgun.net": "mailgun", "mailgun.org": "mailgun", "mailgun.com": "mailgun", "postgun.com": "mailgun",
	"mimecast.com": "mimecast", "mimecast-offshore.com": "mimecast",
	"messagelabs.com": "messagelabs", "symantec.com": "messagelabs",
	"icloud.com": "apple", "me.com": "apple", "mac.com": "apple", "apple.com": "apple",
	"zoho.com": "zoho", "zohomail.com": "zoho", "zoho.eu": "zoho", "zohomail.eu": "zoho", "zoho.in": "zoho",
	"zohomail.in": "zoho", "zoho.com.au": "zoho", "zohomail.com.au": "zoho", "zoho.jp": "zoho",
	"strato.de": "strato", "rzone.de": "strato", // submission on smtp.strato.de, out from *.smtp.rzone.de
	"salesforce.com": "salesforce", "sfdc.net": "salesforce", "zendesk.com": "zendesk", "zdsys.com": "zendesk",
	"naver.com": "naver", "nfra.io": "naver", // Naver's webmail makes its Message-IDs on cweb*.nm.nfra.io
}

// Family returns the provider family of an organisational domain
// ("google", "microsoft", "yahoo", ...), or "" when it is no provider's.
// Yahoo's country domains (yahoo.co.jp, yahoo.com.br...) are Yahoo's too.
func Family(org string) string {
	if fam, ok := families[org]; ok {
		return fam
	}
	if strings.HasPrefix(org, "yahoo.") {
		return "yahoo"
	}
	return ""
}

// Families returns the set of families Family can return.
func Families() map[string]bool {
	out := map[string]bool{}
	for _, v := range families {
		out[v] = true
	}
	return out
}
