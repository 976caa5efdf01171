variable "name" {
  description = "Prefix of every resource name (project-environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}$", var.name))
    error_message = "name: 2-41 lowercase letters, digits or dashes."
  }
}

variable "cidr_block" {
  description = "The VPC's address range; each subnet takes a /20 of it (a /16 leaves room to grow)."
  type        = string
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && tonumber(split("/", var.cidr_block)[1]) <= 18
    error_message = "cidr_block: an IPv4 CIDR of /18 or larger (four /20 subnets must fit)."
  }
}

variable "availability_zones" {
  description = "The two zones of the subnets; empty: the region's \"a\" and \"b\" zones."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) == 2
    error_message = "availability_zones: empty or exactly two zone names."
  }
}

variable "private_egress" {
  description = <<-EOT
    How tasks in the private subnets reach ECR, CloudWatch Logs and the AWS APIs:
    "nat" = one NAT gateway (about 33 USD a month plus 0.045 USD per GB; reaches anything),
    "endpoints" = interface endpoints for ecr.api, ecr.dkr and logs in both AZs (about 44 USD a
    month; no internet at all). S3 always goes through the free gateway endpoint.
  EOT
  type        = string
  default     = "nat"

  validation {
    condition     = contains(["nat", "endpoints"], var.private_egress)
    error_message = "private_egress: \"nat\" or \"endpoints\"."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn: a KMS key ARN."
  }
}

variable "log_retention_days" {
  description = "Days the flow logs are kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}
