package received

// Field is one Received field as found in a message's header block.
type Field struct {
	Value string // the value after "Received:", folding kept
	Line  int    // 1-based line number of the field name in the file
}

// Chain is a message's Received hops, oldest first: Hops[0] is where the
// message started, the last hop was added by the final receiver.
type Chain struct {
	Hops []Hop `json:"hops"`
}

// BuildChain parses fields given in header order (newest first, as MTAs
// prepend them, RFC 5321 §4.4) and returns them oldest first, numbered from 1,
// each with its signed delay from the hop before it.
func BuildChain(fields []Field) Chain {
	hops := make([]Hop, len(fields))
	for i, f := range fields {
		h := Parse(f.Value)
		h.Line = f.Line
		hops[len(fields)-1-i] = h
	}
	for i := range hops {
		hops[i].Index = i + 1
		if i == 0 || hops[i].Time == nil || hops[i-1].Time == nil {
			continue
		}
		// Sub computes a signed duration: a clock stepping backwards stays
		// negative, it never wraps around.
		d := hops[i].Time.Sub(*hops[i-1].Time).Seconds()
		hops[i].DelaySeconds = &d
	}
	return Chain{Hops: hops}
}
