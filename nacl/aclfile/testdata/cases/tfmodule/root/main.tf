# Root module: the web tier's NACL comes from a local child module; the
# inbound service ports and the ephemeral deny come from terraform.tfvars.
module "web_nacl" {
  source = "../modules/web_nacl"

  vpc_id           = var.vpc_id
  name             = "${var.env}-web-server"
  subnet_ids       = var.web_subnet_ids
  inbound_services = var.inbound_services
  deny_ephemeral   = var.deny_ephemeral_inbound

  default_network_acl_id = "acl-0a1b2c3d4e5f6000d"
  vpc_cidrs              = ["10.0.0.0/16"]
}

# Another subnet is associated here, from the module's output.
resource "aws_network_acl_association" "extra" {
  for_each       = toset(var.extra_subnet_ids)
  network_acl_id = module.web_nacl.acl_id
  subnet_id      = each.value
}
