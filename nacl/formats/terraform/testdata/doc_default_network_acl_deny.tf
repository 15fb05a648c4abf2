# terraform-provider-aws website/docs/r/default_network_acl.html.markdown:
# no rules defined, deny all traffic in this ACL.
resource "aws_default_network_acl" "default" {
  default_network_acl_id = aws_vpc.mainvpc.default_network_acl_id
}
