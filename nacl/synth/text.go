package synth

import (
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/text"
)

// ruleText renders an entry in the native text format ("in 100 allow tcp
// 0.0.0.0/0 443"), without the rule number when it is zero.
func ruleText(e nacl.Entry) string { return text.Rule(&e) }
