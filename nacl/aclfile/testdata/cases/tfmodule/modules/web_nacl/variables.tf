variable "vpc_id" {
  type = string
}

variable "name" {
  type = string
}

variable "subnet_ids" {
  type    = list(string)
  default = []
}

variable "inbound_services" {
  type = map(object({
    rule = number
    port = number
  }))
}

variable "deny_ephemeral" {
  type    = bool
  default = false
}

variable "default_network_acl_id" {
  type = string
}

variable "vpc_cidrs" {
  type = list(string)
}
