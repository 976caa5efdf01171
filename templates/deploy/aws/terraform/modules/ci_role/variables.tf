variable "name" {
  description = "Prefix of this environment's resource names (<project>-<environment>): the role may change only resources named so."
  type        = string
}

variable "account_id" {
  description = "Account of the resources the role may change."
  type        = string
}

variable "region" {
  description = "Region of the resources the role may change."
  type        = string
}

variable "create_provider" {
  description = "Create the OIDC provider of the issuer; false uses the one the account has (one per issuer per account)."
  type        = bool
  default     = true
}

variable "issuer_url" {
  description = "OIDC issuer URL of the CI provider (https://...)."
  type        = string
}

variable "audience" {
  description = "Audience (aud claim) of the CI provider's tokens."
  type        = string
}

variable "subjects" {
  description = "Token subjects (sub claim) allowed to assume the role, matched exactly."
  type        = list(string)
}

variable "repository_arn" {
  description = "ECR repository the role pushes images to."
  type        = string
}

variable "kms_key_arn" {
  description = "Key of the repository and buckets."
  type        = string
}

variable "models_bucket_arn" {
  description = "Bucket the role publishes model bundles to (under models/)."
  type        = string
}

variable "state_bucket" {
  description = "Bucket of the Terraform state."
  type        = string
}

variable "state_key" {
  description = "Key of this environment's Terraform state in state_bucket (its lock file is <key>.tflock)."
  type        = string
}

variable "target" {
  description = "The deploy target's module (modules/<target>): the role may plan and apply that target's resources only."
  type        = string

  validation {
    condition     = contains(["ecs_service", "scheduled_task", "sagemaker_endpoint", "eks_cluster"], var.target)
    error_message = "target: ecs_service, scheduled_task, sagemaker_endpoint or eks_cluster."
  }
}
