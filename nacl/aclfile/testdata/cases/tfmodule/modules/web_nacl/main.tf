locals {
  # Outbound: the same services plus the ephemeral range for replies,
  # keyed by rule number.
  egress_rules = merge(
    { for name, s in var.inbound_services : tostring(s.rule) => { from = s.port, to = s.port } },
    { "130" = { from = 1024, to = 65535 } },
  )
}

resource "aws_network_acl" "this" {
  vpc_id     = var.vpc_id
  subnet_ids = var.subnet_ids
  tags       = { Name = var.name }
}

resource "aws_network_acl_rule" "service_in" {
  for_each       = var.inbound_services
  network_acl_id = aws_network_acl.this.id
  rule_number    = each.value.rule
  egress         = false
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = each.value.port
  to_port        = each.value.port
}

resource "aws_network_acl_rule" "deny_ephemeral_in" {
  count          = var.deny_ephemeral ? 1 : 0
  network_acl_id = aws_network_acl.this.id
  rule_number    = 130
  egress         = false
  protocol       = "tcp"
  rule_action    = "deny"
  cidr_block     = "0.0.0.0/0"
  from_port      = 1024
  to_port        = 65535
}

resource "aws_network_acl_rule" "out" {
  for_each       = local.egress_rules
  network_acl_id = aws_network_acl.this.id
  rule_number    = tonumber(each.key)
  egress         = true
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "0.0.0.0/0"
  from_port      = each.value.from
  to_port        = each.value.to
}

# The VPC's default ACL, locked down to traffic inside the VPC, with
# dynamic blocks.
resource "aws_default_network_acl" "default" {
  default_network_acl_id = var.default_network_acl_id
  tags                   = { Name = "${var.name}-default" }

  dynamic "ingress" {
    for_each = var.vpc_cidrs
    iterator = cidr
    content {
      rule_no    = 100 + cidr.key
      action     = "allow"
      protocol   = "-1"
      cidr_block = cidr.value
      from_port  = 0
      to_port    = 0
    }
  }

  dynamic "egress" {
    for_each = var.vpc_cidrs
    content {
      rule_no    = 100 + egress.key
      action     = "allow"
      protocol   = "-1"
      cidr_block = egress.value
      from_port  = 0
      to_port    = 0
    }
  }
}
