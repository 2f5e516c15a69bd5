package received

// Parse parses one Received field value. It never fails: what it cannot
// understand stays in Raw and lowers Parsed.
func Parse(value string) Hop {
	return Hop{Raw: value, Parsed: ParsedNone}
}
