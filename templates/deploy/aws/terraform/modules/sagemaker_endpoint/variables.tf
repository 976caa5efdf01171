variable "name" {
  description = "Endpoint name (and prefix of every resource here): <project>-<environment>."
  type        = string
  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,50}$", var.name))
    error_message = "SageMaker names: letters, digits and hyphens, at most 51 characters (room for suffixes)."
  }
}

variable "image" {
  description = "The serving image in ECR, <registry_url>:<image_tag>."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/.+:.+$", var.image))
    error_message = "SageMaker pulls from ECR only: <account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>."
  }
}

variable "repository_arn" {
  description = "ARN of the ECR repository holding the image: the only one the execution role may pull from."
  type        = string
}

variable "container_port" {
  description = "SageMaker sends /ping and /invocations to port 8080; kept for the common target interface."
  type        = number
  default     = 8080
  validation {
    condition     = var.container_port == 8080
    error_message = "SageMaker hosting always calls the container on 8080."
  }
}

variable "health_check_path" {
  description = "SageMaker health-checks GET /ping; kept for the common target interface."
  type        = string
  default     = "/ping"
  validation {
    condition     = var.health_check_path == "/ping"
    error_message = "SageMaker hosting always health-checks /ping."
  }
}

variable "model_uri" {
  description = "s3:// prefix of the served bundle in the models bucket (the server downloads it at start)."
  type        = string
  validation {
    condition     = startswith(var.model_uri, "s3://")
    error_message = "model_uri is an s3:// prefix in the models bucket."
  }
}

variable "model_prefix" {
  description = "Key prefix of the models bucket the execution role may read (bundles of every version: a rollback reads the previous one)."
  type        = string
  default     = "models/"
}

variable "environment" {
  description = "Extra container environment (settings the server reads), merged under MODEL_URI and PORT."
  type        = map(string)
  default     = {}
}

variable "kms_key_arn" {
  description = "KMS key encrypting the models bucket, the ML storage volumes, captured data and the log group."
  type        = string
}

variable "models_bucket_arn" {
  description = "ARN of the models bucket (bundles under model_prefix, captured requests under data-capture/)."
  type        = string
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the endpoint's CloudWatch log group (a year by default: the audit trail of what the model answered)."
  type        = number
  default     = 365
}

variable "instance_type" {
  description = "ML instance type of the production variant (no burstable ml.t*: they cannot autoscale; no local-NVMe *d types: they refuse a KMS volume key)."
  type        = string
  default     = "ml.c5.large"
  validation {
    condition     = startswith(var.instance_type, "ml.") && !startswith(var.instance_type, "ml.t")
    error_message = "An ml.* instance type, not a burstable ml.t* one (SageMaker cannot autoscale those)."
  }
}

variable "min_capacity" {
  description = "Fewest instances. A real-time endpoint cannot scale to zero, so at least 1; 2 or more enables the canary step."
  type        = number
  default     = 1
  validation {
    condition     = var.min_capacity >= 1
    error_message = "A SageMaker real-time endpoint runs at least one instance."
  }
}

variable "max_capacity" {
  description = "Most instances autoscaling may run."
  type        = number
  default     = 2
}

variable "invocations_per_instance" {
  description = "Target of the scaling policy: invocations per instance per minute."
  type        = number
  default     = 200
}

variable "canary_wait_seconds" {
  description = "Baking period of the canary (and of the full fleet afterwards) before SageMaker goes on: alarms that fire meanwhile roll back."
  type        = number
  default     = 300
  validation {
    condition     = var.canary_wait_seconds >= 0 && var.canary_wait_seconds <= 3600
    error_message = "SageMaker accepts 0 to 3600 seconds."
  }
}

variable "latency_p95_ms" {
  description = "ModelLatency p95 (milliseconds) above which the latency alarm fires (and a rollout rolls back)."
  type        = number
  default     = 500
}

variable "error_5xx_threshold" {
  description = "Invocation5XXErrors per minute above which the error alarm fires (and a rollout rolls back)."
  type        = number
  default     = 0
}

variable "data_capture_percent" {
  description = "Share of requests and responses captured to s3://<models bucket>/data-capture/<name>/ (drift analysis); 0 turns capture off."
  type        = number
  default     = 0
  validation {
    condition     = var.data_capture_percent >= 0 && var.data_capture_percent <= 100
    error_message = "A percentage, 0 to 100."
  }
}
