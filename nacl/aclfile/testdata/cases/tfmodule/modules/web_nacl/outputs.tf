output "acl_id" {
  value = aws_network_acl.this.id
}
