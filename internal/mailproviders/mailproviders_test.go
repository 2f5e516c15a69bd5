package mailproviders

import "testing"

func TestFamily(t *testing.T) {
	for org, want := range map[string]string{
		"gmail.com": "google", "1e100.net": "google", "exchangelabs.com": "microsoft", "yahoo.co.jp": "yahoo",
		"ppe-hosted.com": "proofpoint", "example.org": "", "yahoofan.com": "", "nfra.io": "naver",
	} {
		if got := Family(org); got != want {
			t.Errorf("Family(%q) = %q, want %q", org, got, want)
		}
	}
	if f := Families(); !f["google"] || !f["apple"] || f[""] {
		t.Errorf("Families() = %v", f)
	}
}
