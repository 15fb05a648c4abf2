# terraform-provider-aws website/docs/r/network_acl_rule.html.markdown example.
# cidr_block refers to another resource's attribute, which flowverify cannot
# evaluate: parsing this file reports an error naming that expression.
resource "aws_network_acl" "bar" {
  vpc_id = aws_vpc.foo.id
}

resource "aws_network_acl_rule" "bar" {
  network_acl_id = aws_network_acl.bar.id
  rule_number    = 200
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = aws_vpc.foo.cidr_block
  from_port      = 22
  to_port        = 22
}
