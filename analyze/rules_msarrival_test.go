package analyze

import (
	"strings"
	"testing"
	"time"
)

// TestMSArrivalTimeCorpus: on real mail Microsoft 365's own hops follow
// its arrival record, and the rule reads enough of them to mean something.
func TestMSArrivalTimeCorpus(t *testing.T) {
	applicable := 0
	for _, c := range corpusContexts(t) {
		rep := c.Report
		if _, _, ok := c.msArrival(); !ok {
			continue
		}
		for i := range rep.Hops {
			if c.hopFacts()[i].by.msInternal && rep.Hops[i].Time != nil {
				applicable++
				break
			}
		}
		for _, f := range checkMSArrivalTime(c) {
			t.Errorf("%s: %s", strings.TrimPrefix(rep.File, corpusDir+"/"), f.Message)
		}
	}
	t.Logf("%d messages with an arrival record and Microsoft 365 hops", applicable)
	if applicable < 8 {
		t.Errorf("only %d messages with an arrival record and Microsoft 365 hops; the research found 11", applicable)
	}
}

func TestMSArrival(t *testing.T) {
	want := time.Date(2023, 8, 31, 10, 6, 13, 0, time.UTC)
	for _, tt := range []struct {
		fields string
		ok     bool
	}{
		{"X-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Aug 2023 10:06:13.2857\n (UTC)\n", true},
		{"X-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Aug 2023 10:06:13 (UTC)\n", true},
		{"x-ms-exchange-crosstenant-originalarrivaltime: 31 Aug 2023 10:06:13\n", true},
		{"X-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Aug 2023 11:00:00 (UTC)\nX-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Aug 2023 10:06:13 (UTC)\n", true},
		{"X-MS-Exchange-CrossTenant-OriginalArrivalTime: yesterday\n", false},
		{"X-MS-Exchange-CrossTenant-OriginalArrivalTime: 31 Foo 2023 10:06:13\n", false},
		{"Subject: 31 Aug 2023 10:06:13\n", false},
	} {
		msg, err := Split([]byte(tt.fields + "\nbody\n"))
		if err != nil {
			t.Fatal(err)
		}
		c := &Context{Msg: msg}
		got, _, ok := c.msArrival()
		if ok != tt.ok || ok && !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v %v", tt.fields, got, ok, want, tt.ok)
		}
	}
}
