# format() padding to a billion characters.
resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    cidr_block = format("%01000000000d", 1)
    from_port  = 0
    to_port    = 0
  }
}
