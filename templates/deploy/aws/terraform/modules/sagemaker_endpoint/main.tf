# A SageMaker real-time endpoint serving the project's own image: SageMaker starts it with
# the argument `serve` and calls GET /ping and POST /invocations on port 8080; the server
# downloads the bundle at MODEL_URI from the models bucket with the execution role.
#
# Why real-time in every environment, not serverless for dev: serverless endpoints take no
# deployment guardrails (canary, auto-rollback), no data capture and no instance autoscaling,
# so dev would not rehearse the rollout prod relies on. A real-time endpoint cannot scale to
# zero: dev runs one instance (min_capacity 1) and `terraform destroy` stops the cost.

locals {
  models_bucket = split(":::", var.models_bucket_arn)[1]
  environment = merge(var.environment, {
    MODEL_URI = var.model_uri
    PORT      = "8080"
    HOST      = "0.0.0.0"
  })
  variant = "AllTraffic"
  # The canary is one instance and must be at most half the new fleet: with a single
  # instance, traffic moves all at once, still watched by the alarms for the baking period.
  canary = var.min_capacity >= 2
}

# A new image or MODEL_URI makes a new model (and a new endpoint configuration): the
# endpoint then moves to it blue-green, and the old ones go only once it has.
resource "aws_sagemaker_model" "this" {
  # Named after what it runs: a new image, environment or role is a new name, as a replacement needs.
  name               = "${var.name}-${substr(sha1(jsonencode([var.image, local.environment, aws_iam_role.execution.arn])), 0, 10)}"
  execution_role_arn = aws_iam_role.execution.arn

  primary_container {
    image       = var.image
    mode        = "SingleModel"
    environment = local.environment
  }

  # The server reads its bundle from S3 and nothing else: no VPC, but network isolation would
  # also cut that download.
  #checkov:skip=CKV_AWS_370:the server downloads its bundle from s3:// (MODEL_URI) with the execution role; network isolation would block it
  enable_network_isolation = false

  tags = { Name = var.name }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint_configuration" "this" {
  name_prefix = "${var.name}-"
  kms_key_arn = var.kms_key_arn

  production_variants {
    variant_name           = local.variant
    model_name             = aws_sagemaker_model.this.name
    instance_type          = var.instance_type
    initial_instance_count = var.min_capacity
  }

  dynamic "data_capture_config" {
    for_each = var.data_capture_percent > 0 ? [1] : []
    content {
      enable_capture              = true
      initial_sampling_percentage = var.data_capture_percent
      destination_s3_uri          = "s3://${local.models_bucket}/data-capture/${var.name}"
      kms_key_id                  = var.kms_key_arn
      capture_options {
        capture_mode = "Input"
      }
      capture_options {
        capture_mode = "Output"
      }
    }
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_sagemaker_endpoint" "this" {
  name                 = var.name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.this.name

  deployment_config {
    blue_green_update_policy {
      traffic_routing_configuration {
        type                     = local.canary ? "CANARY" : "ALL_AT_ONCE"
        wait_interval_in_seconds = var.canary_wait_seconds

        dynamic "canary_size" {
          for_each = local.canary ? [1] : []
          content {
            type  = "INSTANCE_COUNT"
            value = 1
          }
        }
      }
      # The old fleet stays up this long after the switch: an alarm then still rolls back
      # at once, without provisioning instances.
      termination_wait_in_seconds          = var.canary_wait_seconds
      maximum_execution_timeout_in_seconds = 3600
    }

    auto_rollback_configuration {
      dynamic "alarms" {
        for_each = [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]
        content {
          alarm_name = alarms.value
        }
      }
    }
  }

  tags = { Name = var.name }

  depends_on = [aws_cloudwatch_log_group.endpoint]
}

# SageMaker writes the container's output here; created beforehand for retention and KMS.
resource "aws_cloudwatch_log_group" "endpoint" {
  name              = "/aws/sagemaker/Endpoints/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}
