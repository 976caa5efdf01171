variable "name" {
  description = "Repository name (<project>-<environment>)."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the image layers."
  type        = string
}

variable "force_delete" {
  description = "Delete the repository with its images on destroy."
  type        = bool
  default     = false
}

variable "keep_images" {
  description = "Tagged images kept: older ones expire, so a rollback can reach this many releases back."
  type        = number
  default     = 30
}
