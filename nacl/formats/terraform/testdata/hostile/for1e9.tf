# A for expression over 10^9 elements: 1000^3, built from a 10-element
# list without any range() function.
locals {
  l10   = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  l1000 = flatten([for a in local.l10 : [for b in local.l10 : [for c in local.l10 : a * 100 + b * 10 + c]]])
  big   = flatten([for a in local.l1000 : [for b in local.l1000 : [for c in local.l1000 : "10.0.0.0/8"]]])
}

resource "aws_network_acl" "a" {
  vpc_id = "vpc-1"
  dynamic "ingress" {
    for_each = local.big
    content {
      rule_no    = 100
      action     = "allow"
      protocol   = "-1"
      cidr_block = ingress.value
      from_port  = 0
      to_port    = 0
    }
  }
}
