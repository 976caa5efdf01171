# The target module interface (name, image, model_uri, environment, kms_key_arn,
# models_bucket_arn, alarm_topic_arn, log_retention_days) and what a scheduled batch
# run needs: the lake objects it reads and writes (the task may touch those two objects
# only), the schedule, the private subnets.

variable "name" {
  description = "Prefix of every resource name (project-environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,39}$", var.name))
    error_message = "name: 2-40 lowercase letters, digits or dashes."
  }
}

variable "image" {
  description = "The project image, repository:tag (an immutable tag, never latest); its CLI runs `score`."
  type        = string

  validation {
    condition     = can(regex(":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image: repository:tag with an explicit tag other than latest."
  }
}

variable "model_uri" {
  description = "MODEL_URI of the container: the bundle prefix in the models bucket (s3://bucket/models/champion/)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+", var.model_uri))
    error_message = "model_uri: s3://<bucket>/<prefix>."
  }
}

variable "environment" {
  description = "Extra environment variables of the container (LOG_LEVEL, ...); MODEL_URI is set from model_uri."
  type        = map(string)
  default     = {}

  validation {
    condition     = !contains(keys(var.environment), "MODEL_URI")
    error_message = "environment: set MODEL_URI through model_uri."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the project: log groups, and the models bucket's objects the task decrypts."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn: a KMS key ARN."
  }
}

variable "models_bucket_arn" {
  description = "The models bucket; the task may read its models/ prefix and nothing else."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.models_bucket_arn))
    error_message = "models_bucket_arn: an S3 bucket ARN."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sns:", var.alarm_topic_arn))
    error_message = "alarm_topic_arn: an SNS topic ARN."
  }
}

variable "log_retention_days" {
  description = "Days the container logs are kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days: one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "input_uri" {
  description = "Parquet or CSV records each run scores (s3://<lake>/scoring/input/records.parquet by convention)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.(parquet|csv)$", var.input_uri))
    error_message = "input_uri: s3://<bucket>/<key>.parquet or .csv."
  }
}

variable "output_uri" {
  description = "Where each run writes its predictions (the lake is versioned: earlier runs stay as object versions)."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+\\.(parquet|csv)$", var.output_uri))
    error_message = "output_uri: s3://<bucket>/<key>.parquet or .csv."
  }
}

variable "schedule_expression" {
  description = "When the run starts: an EventBridge Scheduler cron() or rate() expression."
  type        = string
  default     = "cron(0 3 * * ? *)"

  validation {
    condition     = can(regex("^(cron\\(\\S+( \\S+){5}\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression: cron(min hour day-of-month month day-of-week year) or rate(N unit)."
  }
}

variable "schedule_timezone" {
  description = "Time zone of the cron expression (IANA name)."
  type        = string
  default     = "UTC"
}

variable "enabled" {
  description = "Whether the schedule fires (false pauses it without deleting anything)."
  type        = bool
  default     = true
}

variable "max_retry_attempts" {
  description = "Times Scheduler retries a RunTask call that fails (throttling, capacity) before the event goes to the dead-letter queue."
  type        = number
  default     = 3

  validation {
    condition     = var.max_retry_attempts >= 0 && var.max_retry_attempts <= 185
    error_message = "max_retry_attempts: 0 to 185."
  }
}

variable "vpc_id" {
  description = "VPC of the task (module.network)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Subnets the task runs in (no public addresses)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids: at least one subnet."
  }
}

variable "cpu" {
  description = "Fargate task CPU units (1024 = one vCPU)."
  type        = number
  default     = 1024

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu: a Fargate size, 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Fargate task memory in MiB (must suit cpu: 1024 CPU takes 2048-8192)."
  type        = number
  default     = 2048

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory: 512 to 122880 MiB."
  }
}

variable "ephemeral_storage_gib" {
  description = "Task disk holding the input and the predictions while a run lasts (21-200 GiB)."
  type        = number
  default     = 21

  validation {
    condition     = var.ephemeral_storage_gib >= 21 && var.ephemeral_storage_gib <= 200
    error_message = "ephemeral_storage_gib: 21 to 200."
  }
}
