# terraform-provider-aws website/docs/r/default_network_acl.html.markdown examples.
resource "aws_vpc" "mainvpc" {
  cidr_block = "10.1.0.0/16"
}

# Example: allow all traffic (the VPC default ACL's usual rules).
resource "aws_default_network_acl" "default" {
  default_network_acl_id = aws_vpc.mainvpc.default_network_acl_id

  ingress {
    protocol   = -1
    rule_no    = 100
    action     = "allow"
    cidr_block = aws_vpc.mainvpc.cidr_block
    from_port  = 0
    to_port    = 0
  }

  egress {
    protocol   = -1
    rule_no    = 100
    action     = "allow"
    cidr_block = "0.0.0.0/0"
    from_port  = 0
    to_port    = 0
  }
}
