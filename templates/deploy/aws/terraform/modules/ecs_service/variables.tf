# The target module interface (shared by every aws_target): name, image, container_port,
# health_check_path, model_uri, environment, kms_key_arn, models_bucket_arn,
# alarm_topic_arn, log_retention_days, min_capacity, max_capacity; then ECS's own.

variable "name" {
  description = "Prefix of every resource name (project-environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,39}$", var.name))
    error_message = "name: 2-40 lowercase letters, digits or dashes."
  }
}

variable "image" {
  description = "The serving image, repository:tag (an immutable tag, never latest)."
  type        = string

  validation {
    condition     = can(regex(":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$", var.image)) && !endswith(var.image, ":latest")
    error_message = "image: repository:tag with an explicit tag other than latest."
  }
}

variable "container_port" {
  description = "Port the server listens on inside the container (serve --port)."
  type        = number

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port: an unprivileged port, 1024-65535 (the container runs as UID 10001)."
  }
}

variable "health_check_path" {
  description = "Readiness path the load balancer probes; a gRPC method path (/grpc.health.v1.Health/Check) switches the target groups to gRPC."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path: an absolute path such as /health/ready or /grpc.health.v1.Health/Check."
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

variable "min_capacity" {
  description = "Fewest tasks autoscaling keeps; 0 lets dev cost nothing while idle (it then serves nothing until raised)."
  type        = number

  validation {
    condition     = var.min_capacity >= 0 && floor(var.min_capacity) == var.min_capacity
    error_message = "min_capacity: a whole number, 0 or more."
  }
}

variable "max_capacity" {
  description = "Most tasks autoscaling may run."
  type        = number

  validation {
    condition     = var.max_capacity >= 1 && var.max_capacity <= 100 && floor(var.max_capacity) == var.max_capacity
    error_message = "max_capacity: a whole number from 1 to 100."
  }
}

variable "vpc_id" {
  description = "VPC of the load balancer and the tasks (module.network)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Subnets of the load balancer, two AZs."
  type        = list(string)

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids: at least two subnets (an ALB spans two AZs)."
  }
}

variable "private_subnet_ids" {
  description = "Subnets of the tasks (no public addresses)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids: at least one subnet."
  }
}

variable "cpu" {
  description = "Fargate task CPU units (256 = a quarter vCPU)."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu: a Fargate size, 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "memory" {
  description = "Fargate task memory in MiB (must suit cpu: 512 CPU takes 1024-4096)."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880
    error_message = "memory: 512 to 122880 MiB."
  }
}

variable "certificate_arn" {
  description = "Certificate (ACM, or an IAM server certificate) of an HTTPS listener on 443 (HTTP on 80 then redirects). Empty: plain HTTP on 80, for dev only; gRPC needs a certificate (an ALB speaks gRPC over HTTPS only)."
  type        = string
  default     = ""

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:(acm:|iam::[0-9]{12}:server-certificate/)", var.certificate_arn))
    error_message = "certificate_arn: empty, an ACM certificate ARN or an IAM server certificate ARN."
  }
}

variable "ingress_cidrs" {
  description = "Who may call the load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidrs : can(cidrnetmask(c))])
    error_message = "ingress_cidrs: IPv4 CIDR blocks."
  }
}

variable "access_logs_bucket" {
  description = "S3 bucket for the load balancer's access logs (its policy must admit the ELB log delivery); empty: off."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (prod)."
  type        = bool
  default     = false
}

variable "deployment_config_name" {
  description = "CodeDeploy traffic shift: a canary (10 percent for 5 minutes, then all), linear, or all at once."
  type        = string
  default     = "CodeDeployDefault.ECSCanary10Percent5Minutes"

  validation {
    condition     = can(regex("^CodeDeployDefault\\.ECS(Canary10Percent(5|15)Minutes|Linear10Percent(Every1Minutes|Every3Minutes)|AllAtOnce)$", var.deployment_config_name))
    error_message = "deployment_config_name: one of CodeDeploy's predefined ECS configurations (CodeDeployDefault.ECSCanary10Percent5Minutes, ...)."
  }
}

variable "cpu_target_percent" {
  description = "Average CPU the service scales to hold."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent: 10 to 90."
  }
}

variable "requests_per_task_target" {
  description = "Requests per task per minute the service scales to hold."
  type        = number
  default     = 1000

  validation {
    condition     = var.requests_per_task_target > 0
    error_message = "requests_per_task_target: more than 0."
  }
}

variable "error_threshold" {
  description = "5xx responses per minute (from the targets and the load balancer) that raise the error alarm and stop a deployment."
  type        = number
  default     = 5

  validation {
    condition     = var.error_threshold >= 1
    error_message = "error_threshold: 1 or more."
  }
}

variable "latency_p95_seconds" {
  description = "p95 target response time that raises the latency alarm and stops a deployment."
  type        = number
  default     = 1

  validation {
    condition     = var.latency_p95_seconds > 0
    error_message = "latency_p95_seconds: more than 0."
  }
}
