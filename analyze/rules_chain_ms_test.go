package analyze

import (
	"os"
	"strings"
	"testing"
)

// TestMicrosoft365InternalContinuity: inside Microsoft 365 each server
// names the one before it, so a hop taken out, or a server renamed, breaks
// the chain even though every name is Microsoft's.
func TestMicrosoft365InternalContinuity(t *testing.T) {
	raw, err := os.ReadFile("../testdata/mta/06-m365.eml")
	if err != nil {
		t.Fatal(err)
	}
	genuine := strings.ReplaceAll(string(raw), "\r\n", "\n")
	middle := "Received: from CY8PR05MB9817.namprd05.prod.outlook.com (2603:10b6:930:73::11)\n" +
		" by BN9P220CA0018.outlook.office365.com (2603:10b6:408:13e::23) with\n" +
		" Microsoft SMTP Server (version=TLS1_2,\n" +
		" cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.6745.21; Thu, 31 Aug 2023 10:06:13 +0000\n"
	if !strings.Contains(genuine, middle) {
		t.Fatal("the sample changed: its middle hop is not where the test looks")
	}
	tests := []struct {
		name   string
		raw    string
		broken bool
	}{
		{"genuine", genuine, false},
		{"hop removed", strings.Replace(genuine, middle, "", 1), true},
		{"server renamed", strings.Replace(genuine, "from CY8PR05MB9817.namprd05", "from SN6PR02MB4112.namprd02", 1), true},
		{"same server, other domain spelling", strings.Replace(genuine, "from CY8PR05MB9817.namprd05.prod.outlook.com", "from CY8PR05MB9817.NAMPRD05.PROD.OUTLOOK.COM", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := analyzeRaw(t, tt.raw, Options{}, Input{})
			var msg []string
			for _, f := range m.Findings {
				if f.Rule == "hop-continuity" {
					msg = append(msg, f.Message)
				}
			}
			if got := len(msg) > 0; got != tt.broken {
				t.Errorf("continuity break %v, want %v: %q", got, tt.broken, msg)
			}
			if tt.broken && !strings.Contains(strings.Join(msg, " "), "Microsoft 365") {
				t.Errorf("the break does not say why: %q", msg)
			}
		})
	}
}
