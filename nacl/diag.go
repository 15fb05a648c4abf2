package nacl

// Severity grades a diagnostic.
type Severity string

// Severities, most severe first.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Diagnostic is a problem found while reading or validating an ACL. It
// names where (Pos) and which field.
type Diagnostic struct {
	Severity Severity
	Pos      Pos
	// Field is the offending field as the format spells it ("RuleNumber", "cidr_block", ...).
	Field string
	Msg   string
}

// Error formats the diagnostic as "POS: FIELD: MSG".
func (d Diagnostic) Error() string {
	s := d.Pos.String()
	if s != "" {
		s += ": "
	}
	if d.Field != "" {
		s += d.Field + ": "
	}
	return s + d.Msg
}
