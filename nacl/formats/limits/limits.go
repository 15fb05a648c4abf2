// Package limits holds the budgets that bound expression evaluation in the
// Terraform and CloudFormation readers, so that a hostile or unlucky NACL
// file (a string doubled forty times, a `for` over a billion elements)
// ends in an ordinary error naming its position instead of exhausting
// memory or time.
package limits

import "fmt"

// Limits bounds the evaluation of one NACL file (a Terraform module tree
// or a CloudFormation template). Zero fields take the default.
type Limits struct {
	// Bytes is the largest value one expression may produce, in bytes of
	// string content (collections count the bytes of all their elements).
	Bytes int64
	// Elements is the largest number of elements one expression may
	// produce (nested collections count every element), and the largest
	// count / for_each / Fn::Cidr count.
	Elements int64
	// Steps is the total work for the whole file: for-expression
	// iterations, function calls, resource and module instances,
	// intrinsic-function evaluations.
	Steps int64
}

// Defaults are generous for real configurations (the largest legitimate
// NACL has 40 rules a direction; a module tree rarely builds values of more
// than a few kilobytes) and small enough to evaluate in well under a second
// and a few hundred megabytes.
var Defaults = Limits{Bytes: 1 << 20, Elements: 100_000, Steps: 10_000_000}

// WithDefaults returns l with zero fields set to Defaults.
func (l Limits) WithDefaults() Limits {
	if l.Bytes <= 0 {
		l.Bytes = Defaults.Bytes
	}
	if l.Elements <= 0 {
		l.Elements = Defaults.Elements
	}
	if l.Steps <= 0 {
		l.Steps = Defaults.Steps
	}
	return l
}

// Exceeded is the error of an evaluation over budget. Its message names
// the limit and the flag that raises it.
type Exceeded struct {
	// What is "bytes", "elements" or "steps".
	What  string
	Limit int64
}

// Error returns "expression too large: more than N bytes (raise with
// --max-expr-bytes)" and the like.
func (e *Exceeded) Error() string {
	switch e.What {
	case "steps":
		return fmt.Sprintf("expression too complex: more than %d evaluation steps (raise with --max-expr-steps)", e.Limit)
	case "elements":
		return fmt.Sprintf("expression too large: more than %d elements (raise with --max-expr-elements)", e.Limit)
	}
	return fmt.Sprintf("expression too large: more than %d bytes (raise with --max-expr-bytes)", e.Limit)
}

// Budget tracks the steps spent while reading one file.
type Budget struct {
	L     Limits
	spent int64
}

// New returns a budget for l (zero fields take the defaults).
func New(l Limits) *Budget { return &Budget{L: l.WithDefaults()} }

// Spend charges n steps; it returns an *Exceeded error when the total
// passes the limit.
func (b *Budget) Spend(n int64) error {
	if n < 0 || b.spent+n > b.L.Steps || b.spent+n < b.spent {
		b.spent = b.L.Steps + 1
		return &Exceeded{What: "steps", Limit: b.L.Steps}
	}
	b.spent += n
	return nil
}

// Spent returns the steps charged so far.
func (b *Budget) Spent() int64 { return b.spent }

// Check returns an *Exceeded error when a value of the given size is over
// the limits.
func (b *Budget) Check(bytes, elements int64) error {
	if bytes > b.L.Bytes {
		return &Exceeded{What: "bytes", Limit: b.L.Bytes}
	}
	if elements > b.L.Elements {
		return &Exceeded{What: "elements", Limit: b.L.Elements}
	}
	return nil
}
