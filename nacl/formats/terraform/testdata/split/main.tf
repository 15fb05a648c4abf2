resource "aws_network_acl" "bastion" {
  vpc_id = "vpc-0a1b2c3d4e5f60718"

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.office_cidr
    from_port  = local.ssh
    to_port    = local.ssh
  }
}
