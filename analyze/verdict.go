package analyze

// How findings combine into a verdict (documented in docs/rules.md).
//
// Each finding weighs by its severity: info 0, low 1, medium 3, high 8.
// One rule contributes at most twice its heaviest finding, so a rule that
// fires on every hop of a long chain cannot outvote the others. The score
// is the sum; a message is
//
//	forged      when score >= ForgedScore (8: one high finding, or
//	            medium findings from three different rules),
//	suspicious  when score >= SuspiciousScore (3: one medium finding,
//	            or three low ones),
//	clean       otherwise.
//
// Rules only produce high findings on combined, independent evidence, and
// the parse and DNS observations are info: an unparseable line or a DNS
// failure alone never makes a message forged.

// Score thresholds for the verdict.
const (
	ForgedScore     = 8
	SuspiciousScore = 3
)

// SeverityWeight is what one finding of a severity adds to the score.
func SeverityWeight(s Severity) int {
	switch s {
	case SeverityLow:
		return 1
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 8
	}
	return 0
}

// ruleScore is what one rule's findings add to the score: their weights'
// sum, at most twice the heaviest.
func ruleScore(sum, heaviest int) int { return min(sum, 2*heaviest) }

// VerdictFor maps a score to a verdict.
func VerdictFor(score int) Verdict {
	switch {
	case score >= ForgedScore:
		return VerdictForged
	case score >= SuspiciousScore:
		return VerdictSuspicious
	}
	return VerdictClean
}

// Meets reports whether verdict v meets a --fail-on level: "forged",
// "suspicious" (or worse) or "never". An unreadable message (error) meets
// no level: it is a runtime problem, reported as such.
func Meets(v Verdict, level string) bool {
	switch level {
	case "forged":
		return v == VerdictForged
	case "suspicious":
		return v == VerdictForged || v == VerdictSuspicious
	}
	return false
}
