# The SageMaker endpoint module alone, planned and applied against a mocked AWS provider:
# what it would create, not whether AWS accepts it (tests/test_aws_target.py applies it
# against moto for that).

mock_provider "aws" {
  # Mocked computed attributes are random strings; these are validated as ARNs or JSON.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock-sm-role" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/mock" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  name              = "demo-dev"
  image             = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo:1.2.3"
  repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo"
  model_uri         = "s3://demo-dev-models/models/champion/"
  kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  models_bucket_arn = "arn:aws:s3:::demo-dev-models"
  alarm_topic_arn   = "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms"
  environment       = { LOG_LEVEL = "INFO" }
}

run "single_instance_shifts_all_at_once" {
  command = apply

  module {
    source = "./modules/sagemaker_endpoint"
  }

  assert {
    condition     = aws_sagemaker_model.this.primary_container[0].image == var.image
    error_message = "the model must run the given ECR image"
  }
  assert {
    condition = (aws_sagemaker_model.this.primary_container[0].environment["PORT"] == "8080"
      && aws_sagemaker_model.this.primary_container[0].environment["MODEL_URI"] == var.model_uri
    && aws_sagemaker_model.this.primary_container[0].environment["LOG_LEVEL"] == "INFO")
    error_message = "the container gets PORT=8080, MODEL_URI and the extra environment"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this.kms_key_arn == var.kms_key_arn
    error_message = "the ML storage volumes are encrypted with the project key"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this.production_variants[0].initial_instance_count == 1
    error_message = "min_capacity 1 starts one instance"
  }
  assert {
    condition     = length(aws_sagemaker_endpoint_configuration.this.data_capture_config) == 0
    error_message = "data capture is off at 0 percent"
  }
  assert {
    condition     = aws_sagemaker_endpoint.this.deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].type == "ALL_AT_ONCE"
    error_message = "one instance cannot hold a canary of at most half the fleet"
  }
  assert {
    condition = toset([for a in aws_sagemaker_endpoint.this.deployment_config[0].auto_rollback_configuration[0].alarms : a.alarm_name]) == toset([
    aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name])
    error_message = "both alarms roll a deployment back"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.latency.extended_statistic == "p95" && aws_cloudwatch_metric_alarm.latency.threshold == 500000
    error_message = "the latency alarm watches p95 ModelLatency in microseconds"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.errors.metric_name == "Invocation5XXErrors" && aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([var.alarm_topic_arn])
    error_message = "5xx errors notify the alarm topic"
  }
  assert {
    condition     = aws_appautoscaling_target.variant.min_capacity == 1 && aws_appautoscaling_target.variant.resource_id == "endpoint/demo-dev/variant/AllTraffic"
    error_message = "autoscaling targets the endpoint's variant"
  }
  assert {
    condition     = aws_appautoscaling_policy.invocations.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "SageMakerVariantInvocationsPerInstance"
    error_message = "scaling follows invocations per instance"
  }
  assert {
    condition     = aws_cloudwatch_log_group.endpoint.name == "/aws/sagemaker/Endpoints/demo-dev" && aws_cloudwatch_log_group.endpoint.kms_key_id == var.kms_key_arn
    error_message = "the endpoint's log group is the one SageMaker writes to, KMS-encrypted"
  }
  assert {
    condition     = output.alarm_names == [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]
    error_message = "alarm_names lists both alarms"
  }
}

run "two_instances_take_a_canary_and_capture" {
  command = plan

  module {
    source = "./modules/sagemaker_endpoint"
  }

  variables {
    min_capacity         = 2
    max_capacity         = 4
    data_capture_percent = 10
  }

  assert {
    condition     = aws_sagemaker_endpoint.this.deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].type == "CANARY"
    error_message = "two instances or more take a one-instance canary"
  }
  assert {
    condition     = aws_sagemaker_endpoint.this.deployment_config[0].blue_green_update_policy[0].traffic_routing_configuration[0].canary_size[0].value == 1
    error_message = "the canary is one instance"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this.data_capture_config[0].destination_s3_uri == "s3://demo-dev-models/data-capture/demo-dev"
    error_message = "captured requests land in the models bucket"
  }
  assert {
    condition     = aws_sagemaker_endpoint_configuration.this.data_capture_config[0].kms_key_id == var.kms_key_arn
    error_message = "captured data is encrypted with the project key"
  }
}

# Each rule checks its own variable, so one plan breaks them all: the run passes only
# if every listed rule refused its value.
run "refuses_bad_values" {
  command = plan

  module {
    source = "./modules/sagemaker_endpoint"
  }

  variables {
    image        = "docker.io/library/demo:latest"
    min_capacity = 0
  }

  expect_failures = [
    var.image,
    var.min_capacity,
  ]
}
