variable "name" {
  description = "Prefix of the key alias and bucket names (<project>-<environment>)."
  type        = string
}

variable "account_id" {
  description = "Account of the buckets: suffix of their names (bucket names are global) and owner in the policies."
  type        = string
}

variable "region" {
  description = "Region of the CloudWatch Logs service allowed to use the key."
  type        = string
}

variable "force_destroy" {
  description = "Delete the buckets with every object version on destroy."
  type        = bool
  default     = false
}

variable "noncurrent_version_days" {
  description = "Days an overwritten or deleted object version is kept before it expires."
  type        = number
  default     = 90
}

variable "access_log_days" {
  description = "Days the S3 server access logs are kept."
  type        = number
  default     = 365
}
