# A network module in the usual shape: inputs with defaults, derived locals,
# one ACL with inline rules and a second ACL built from separate
# aws_network_acl_rule resources.

variable "name" {
  type    = string
  default = "shop"
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "admin_cidrs" {
  type    = list(string)
  default = ["198.51.100.0/24", "203.0.113.0/25"]
}

variable "ephemeral" {
  type = object({ from = number, to = number })
  default = {
    from = 1024
    to   = 65535
  }
}

variable "vpc_id" {
  type = string
}

locals {
  prefix       = "${var.name}-prod"
  anywhere     = "0.0.0.0/0"
  anywhere_v6  = "::/0"
  https        = 443
  private_cidr = var.vpc_cidr
  common_tags = {
    Team = "network"
  }
  db_rules = [
    { rule_no = 100, port = 5432, cidr = "10.40.1.0/24" },
    { rule_no = 110, port = 5432, cidr = "10.40.2.0/24" },
  ]
}

resource "aws_subnet" "public_a" {
  vpc_id     = var.vpc_id
  cidr_block = "10.40.1.0/24"
}

resource "aws_network_acl" "public" {
  vpc_id     = var.vpc_id
  subnet_ids = [aws_subnet.public_a.id, "subnet-0b1c2d3e4f5a6b7c8"]

  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.anywhere
    from_port  = local.https
    to_port    = local.https
  }

  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.admin_cidrs[0]
    from_port  = 22
    to_port    = 22
  }

  ingress {
    rule_no    = 120
    action     = "allow"
    protocol   = "6"
    cidr_block = local.anywhere
    from_port  = var.ephemeral.from
    to_port    = var.ephemeral.to
  }

  ingress {
    rule_no    = 130
    action     = "allow"
    protocol   = "icmp"
    cidr_block = local.anywhere
    from_port  = 0
    to_port    = 0
    icmp_type  = 3
    icmp_code  = 4
  }

  ingress {
    rule_no         = 140
    action          = "allow"
    protocol        = "icmpv6"
    ipv6_cidr_block = local.anywhere_v6
    from_port       = 0
    to_port         = 0
    icmp_type       = 2
    icmp_code       = -1
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "all"
    cidr_block = local.anywhere
    from_port  = 0
    to_port    = 0
  }

  egress {
    rule_no         = 101
    action          = "allow"
    protocol        = -1
    ipv6_cidr_block = local.anywhere_v6
    from_port       = 0
    to_port         = 0
  }

  tags = {
    Name = "${local.prefix}-public"
  }
}

resource "aws_network_acl" "private" {
  vpc_id = var.vpc_id
  tags   = merge(local.common_tags, { Name = "${local.prefix}-private" })
}

resource "aws_network_acl_rule" "private_in_deny_telnet" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 90
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = local.private_cidr
  from_port      = 23
  to_port        = 23
}

resource "aws_network_acl_rule" "private_in_vpc" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 100
  egress         = false
  protocol       = "-1"
  rule_action    = "allow"
  cidr_block     = local.private_cidr
}

resource "aws_network_acl_rule" "private_in_replies" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 110
  protocol       = "udp"
  rule_action    = "allow"
  cidr_block     = local.anywhere
  from_port      = 32768
  to_port        = 60999
}

resource "aws_network_acl_rule" "private_out_all" {
  network_acl_id = aws_network_acl.private.id
  rule_number    = 100
  egress         = true
  protocol       = "all"
  rule_action    = "allow"
  cidr_block     = local.anywhere
}

resource "aws_network_acl" "db" {
  vpc_id = var.vpc_id

  dynamic "ingress" {
    for_each = local.db_rules
    iterator = r
    content {
      rule_no    = r.value.rule_no
      action     = "allow"
      protocol   = "tcp"
      cidr_block = r.value.cidr
      from_port  = r.value.port
      to_port    = r.value.port
    }
  }

  egress = [
    {
      rule_no         = 100
      action          = "allow"
      protocol        = "tcp"
      cidr_block      = var.vpc_cidr
      ipv6_cidr_block = null
      from_port       = 1024
      to_port         = 65535
      icmp_type       = null
      icmp_code       = null
    },
  ]

  tags = {
    Name = "${local.prefix}-db"
  }
}

resource "aws_network_acl_association" "private_a" {
  network_acl_id = aws_network_acl.private.id
  subnet_id      = "subnet-0c1d2e3f4a5b6c7d8"
}
