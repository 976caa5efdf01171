variable "name" {
  description = "Cluster name (and prefix of every resource here): <project>-<environment>."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,40}$", var.name))
    error_message = "name: 2-41 lowercase letters, digits or dashes."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and nodes (upgrade one minor at a time)."
  type        = string
  default     = "1.32"
}

variable "namespace" {
  description = "Kubernetes namespace of the project's workloads (deploy/k8s)."
  type        = string
}

variable "service_account" {
  description = "Service account the model pods run as: Pod Identity gives it the model role."
  type        = string
}

variable "workloads" {
  description = "Deployments whose pods the alarms watch (PodName in Container Insights): the stable one and its canary."
  type        = list(string)
}

variable "subnet_ids" {
  description = "Private subnets (two AZs) of the control plane's interfaces and the nodes."
  type        = list(string)
  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "public_access_cidrs" {
  description = "Addresses that may reach the Kubernetes API from the internet (hosted CI runners); empty keeps the API private to the VPC."
  type        = list(string)
  default     = []
  validation {
    condition     = !contains(var.public_access_cidrs, "0.0.0.0/0")
    error_message = "Name the CI runners' addresses: the API is never open to the whole internet."
  }
}

variable "ci_role_arn" {
  description = "Role the CI deploy job assumes: it gets an access entry to apply the manifests."
  type        = string
}

variable "kubernetes_access" {
  description = "Create the access entry, the add-ons and the Pod Identity associations; false only against an emulator that lacks those APIs (moto)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key encrypting the Kubernetes secrets, the log groups and the models bucket."
  type        = string
}

variable "models_bucket_arn" {
  description = "ARN of the models bucket the model pods read."
  type        = string
}

variable "model_prefix" {
  description = "Key prefix of the models bucket the model pods may read (every version: a rollback reads the previous one)."
  type        = string
  default     = "models/"
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the control-plane and Container Insights log groups."
  type        = number
  default     = 365
}

variable "instance_types" {
  description = "Instance types of the managed node group (the first that has capacity is used)."
  type        = list(string)
  default     = ["t3.large"]
}

variable "min_capacity" {
  description = "Fewest nodes: 0 lets dev's node group be scaled to nothing (its pods then wait)."
  type        = number
  default     = 1
  validation {
    condition     = var.min_capacity >= 0
    error_message = "min_capacity: 0 or more."
  }
}

variable "max_capacity" {
  description = "Most nodes."
  type        = number
  default     = 3
}
