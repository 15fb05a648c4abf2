package nacl

// Evaluator evaluates packets against one ACL. It is built once per ACL
// (entries split by direction and IP family and sorted by rule number)
// so that Evaluate never allocates. Safe for concurrent use.
//
// STUB: the nacl core owner replaces this file.
type Evaluator struct{ acl *ACL }

// Compile prepares acl for evaluation. The ACL must not change afterwards.
func Compile(acl *ACL) *Evaluator { return &Evaluator{acl: acl} }

// ACL returns the ACL the evaluator was built from.
func (e *Evaluator) ACL() *ACL { return e.acl }

// Evaluate returns the decision of the dir rules for p. It does not allocate.
// A TCP/UDP packet with HasPort false (non-first fragment) does not match
// entries whose port range is narrower than 0-65535, and Decision.Uncertain
// is set when such an entry was passed over.
func (e *Evaluator) Evaluate(dir Direction, p *Packet) Decision { return Decision{} }
