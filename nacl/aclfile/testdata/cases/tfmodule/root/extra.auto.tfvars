extra_subnet_ids = ["subnet-web-b"]
