# A billion rule resources.
resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
}

resource "aws_network_acl_rule" "r" {
  count          = 1000000000
  network_acl_id = aws_network_acl.a.id
  rule_number    = count.index + 1
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
}
