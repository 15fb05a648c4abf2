# A million empty strings: no bytes, too many elements.
locals {
  l10   = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  l1000 = flatten([for a in local.l10 : [for b in local.l10 : [for c in local.l10 : c]]])
  many  = flatten([for a in local.l1000 : [for b in local.l1000 : ""]])
}

resource "aws_network_acl" "a" {
  vpc_id     = "vpc-1"
  subnet_ids = local.many
}
