package analyze

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mailtrace/mailtrace/internal/gentext"
)

// TestMsgIDProvider holds msgIDProvider, which first looks at a domain's
// length and last five bytes, to the forms it recognises, on their names,
// names near them and names put together from their pieces.
func TestMsgIDProvider(t *testing.T) {
	ref := func(domain string) string {
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
	domains := []string{"mail.gmail.com", "gmail.com", "x.mail.gmail.com", "am6pr01mb1234.eurprd01.prod.outlook.com",
		"prd.outlook.com", "eurprd.outlook.com", "outlook.com", "x.outlook.com", "web.mail.yahoo.com", "mail.yahoo.com",
		"yahoo.com", "", "m", "mail.gmail.co", "MAIL.GMAIL.COM"}
	pieces := []string{"mail", ".", "gmail", "com", "prod", "outlook", "prd", "yahoo", "x", "eur", "l", "k", "o"}
	r := rand.New(rand.NewPCG(27, 28))
	for range 100000 {
		domains = append(domains, gentext.Join(r, pieces, r.IntN(8)))
	}
	for _, d := range domains {
		if got, want := msgIDProvider(d), ref(d); got != want {
			t.Fatalf("msgIDProvider(%q) = %q, want %q", d, got, want)
		}
	}
}
