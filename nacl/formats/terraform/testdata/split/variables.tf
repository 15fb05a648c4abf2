variable "office_cidr" {
  type    = string
  default = "203.0.113.0/24"
}

locals {
  ssh = 22
}
