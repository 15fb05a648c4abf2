vpc_id         = "vpc-0a1b2c3d4e5f60001"
env            = "prod"
web_subnet_ids = ["subnet-web"]

inbound_services = {
  ssh   = { rule = 100, port = 22 }
  http  = { rule = 110, port = 80 }
  https = { rule = 120, port = 443 }
}

deny_ephemeral_inbound = true
