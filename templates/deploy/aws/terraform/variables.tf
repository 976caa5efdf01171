# Project-wide values live in terraform.tfvars (generated from the template's answers);
# per-environment values in envs/<environment>.tfvars; image_tag comes from CI.

variable "project" {
  description = "Project slug, the first part of every resource name (at most 20 characters: load balancer names stop at 32)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*(-[a-z0-9]+)*$", var.project)) && length(var.project) <= 20
    error_message = "project must be a slug of at most 20 characters (lower-case letters, digits, single hyphens)."
  }
}

variable "environment" {
  description = "Deployment environment: dev (scales to zero where the target allows) or prod."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "region" {
  description = "AWS region of every resource of this environment."
  type        = string
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as eu-west-1."
  }
}

variable "image_tag" {
  description = "Tag of the serving image in the registry: a commit SHA or release, never latest (tags are immutable)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image_tag)) && lower(var.image_tag) != "latest"
    error_message = "image_tag must be a non-empty image tag other than latest (e.g. the git commit SHA)."
  }
}

variable "model_uri" {
  description = "S3 prefix of the served model bundle; null serves the champion of this environment's models bucket (s3://<models bucket>/models/champion/)."
  type        = string
  default     = null

  validation {
    condition     = var.model_uri == null || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[^\\s]*)?$", var.model_uri))
    error_message = "model_uri must be an s3://bucket/prefix/ URI."
  }
}

variable "min_capacity" {
  description = "Fewest running copies of the model server (0 lets dev scale to zero where the target allows it)."
  type        = number
  default     = 1

  validation {
    condition     = var.min_capacity >= 0 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity must be a whole number, 0 or more."
  }
}

variable "max_capacity" {
  description = "Most running copies autoscaling may start."
  type        = number
  default     = 2

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity >= var.min_capacity && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity must be a whole number, at least 1 and at least min_capacity."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the service logs (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of the retention periods CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 365, ... 3653)."
  }
}

variable "monthly_budget_usd" {
  description = "Monthly cost budget of this environment in USD: the alarm topic hears at 80% spent and at 100% forecast."
  type        = number
  default     = 100

  validation {
    condition     = var.monthly_budget_usd > 0
    error_message = "monthly_budget_usd must be more than 0."
  }
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (it must confirm the subscription); empty for none."
  type        = string
  default     = ""

  validation {
    condition     = var.alarm_email == "" || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be empty or an e-mail address."
  }
}

variable "container_port" {
  description = "Port the model server listens on inside the container."
  type        = number

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a port number (1-65535)."
  }
}

variable "health_check_path" {
  description = "Readiness path the load balancer or platform probes (for gRPC, the health service's method path)."
  type        = string

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /."
  }
}

variable "ci_oidc_issuer_url" {
  description = "OIDC issuer of the CI provider whose jobs may assume the deploy role."
  type        = string

  validation {
    condition     = startswith(var.ci_oidc_issuer_url, "https://")
    error_message = "ci_oidc_issuer_url must be an https:// URL."
  }
}

variable "ci_oidc_audience" {
  description = "Audience (aud claim) the CI provider puts in its tokens."
  type        = string

  validation {
    condition     = length(var.ci_oidc_audience) > 0
    error_message = "ci_oidc_audience must not be empty."
  }
}

variable "ci_oidc_subjects" {
  description = "Per environment, the token subjects (sub claim) allowed to deploy it: the prod role never trusts a dev job."
  type        = map(list(string))

  validation {
    condition = alltrue([
      for env in ["dev", "prod"] : length(lookup(var.ci_oidc_subjects, env, [])) > 0
    ])
    error_message = "ci_oidc_subjects must list at least one subject for dev and for prod."
  }

  validation {
    condition = alltrue([
      for s in flatten(values(var.ci_oidc_subjects)) : length(s) > 0 && s != "*"
    ])
    error_message = "ci_oidc_subjects must not hold an empty or * subject: that would trust every job of the issuer."
  }
}

variable "ci_oidc_create_provider" {
  description = "Create the account's OIDC provider for the CI issuer; false when it exists already (one per issuer per account, e.g. created by the other environment)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "terraform destroy also deletes the buckets' objects and the registry's images (a throwaway dev); false stops a destroy at the data."
  type        = bool
  default     = false
}

variable "emulator" {
  description = "True only when tests apply this configuration to moto (tests/plugins/aws.py): a target leaves out what the emulator cannot create. Never set it for AWS."
  type        = bool
  default     = false
}

variable "tf_state_bucket" {
  description = "Bucket holding the Terraform state (as in envs/<environment>.s3.tfbackend): the CI role reads and writes this environment's state in it."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.tf_state_bucket))
    error_message = "tf_state_bucket must be an S3 bucket name."
  }
}
