package analyze

import "testing"

// TestFieldLineMatchesScan holds fieldLine, which finds a single-instance
// field through the fields' index, to firstFieldLine's walk, for every
// field name a rule points its findings at and every single-instance
// name, on the corpus and the test messages.
func TestFieldLineMatchesScan(t *testing.T) {
	names := append([]string{}, singleFields[:]...)
	for _, r := range registry {
		if r.Field != "" {
			names = append(names, r.Field)
		}
	}
	names = append(names, "received", "DKIM-Signature", "X-Nothing")
	for _, raw := range rulesBenchMessages(t) {
		msg, err := Split(raw)
		if err != nil {
			continue
		}
		c := &Context{Msg: msg, Report: &MessageReport{}}
		for _, n := range names {
			if got, want := c.fieldLine(n), firstFieldLine(msg.Fields, n); got != want {
				t.Fatalf("fieldLine(%q) = %d, want %d", n, got, want)
			}
		}
	}
}
