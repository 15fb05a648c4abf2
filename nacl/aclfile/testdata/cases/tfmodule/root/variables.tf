variable "vpc_id" {
  type = string
}

variable "env" {
  type    = string
  default = "dev"
}

variable "web_subnet_ids" {
  type    = list(string)
  default = []
}

variable "inbound_services" {
  type = map(object({
    rule = number
    port = number
  }))
}

variable "deny_ephemeral_inbound" {
  type    = bool
  default = false
}

variable "extra_subnet_ids" {
  type    = list(string)
  default = []
}
