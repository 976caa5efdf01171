# The scheduled scoring module, planned and applied against a mocked AWS provider: what
# Terraform would ask AWS for, offline and in seconds (tests/test_aws_target.py applies
# the whole configuration against moto).

mock_provider "aws" {
  # Mocked computed attributes are random strings: those another resource validates as an
  # ARN, a region or JSON get fixed values.
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/demo-dev-mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/demo-dev-score" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/demo-dev" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = {
      arn                  = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo-dev-score:1"
      arn_without_revision = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo-dev-score"
    }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:eu-west-1:123456789012:demo-dev-score-dlq" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:eu-west-1:123456789012:rule/demo-dev-score-failed" }
  }
}

variables {
  name               = "demo-dev"
  image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:0123abc"
  model_uri          = "s3://demo-dev-models/models/champion/"
  environment        = { LOG_LEVEL = "INFO" }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  models_bucket_arn  = "arn:aws:s3:::demo-dev-models"
  alarm_topic_arn    = "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms"
  log_retention_days = 30
  input_uri          = "s3://demo-dev-lake/scoring/input/records.parquet"
  output_uri         = "s3://demo-dev-lake/scoring/output/predictions.csv"
  vpc_id             = "vpc-0123456789abcdef0"
  private_subnet_ids = ["subnet-1a", "subnet-1b"]
}

run "task_fetches_scores_and_publishes" {
  command = apply

  module {
    source = "./modules/scheduled_task"
  }

  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.name] == ["fetch", "score", "publish"]
    error_message = "a run is fetch, score, publish"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[1].command == ["score", "/tmp/input.parquet", "/tmp/predictions.csv"]
    error_message = "score runs the CLI on the fetched file, keeping the input and output formats"
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command == ["get", var.input_uri, "/tmp/input.parquet"]
    && jsondecode(aws_ecs_task_definition.this.container_definitions)[2].command == ["put", var.output_uri, "/tmp/predictions.csv"])
    error_message = "fetch downloads input_uri, publish uploads to output_uri"
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[1].dependsOn == [{ containerName = "fetch", condition = "SUCCESS" }]
      && jsondecode(aws_ecs_task_definition.this.container_definitions)[2].dependsOn == [{ containerName = "score", condition = "SUCCESS" }]
    && [for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.essential] == [false, false, true])
    error_message = "each step waits for the previous one to succeed; publish decides the outcome"
  }
  assert {
    condition = alltrue([for c in jsondecode(aws_ecs_task_definition.this.container_definitions) :
      c.image == var.image && c.readonlyRootFilesystem && c.user == "10001:10001"
      && contains(c.environment, { name = "MODEL_URI", value = var.model_uri })
    && c.logConfiguration.options["awslogs-group"] == aws_cloudwatch_log_group.this.name])
    error_message = "every container: the image, MODEL_URI, read-only root, UID 10001, the module's log group"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.failed_runs.kms_key_id == var.kms_key_arn
    error_message = "log groups are encrypted with the project key"
  }
  assert {
    condition     = one(aws_ecs_cluster.this.setting).value == "enabled"
    error_message = "Container Insights is on"
  }
}

run "schedule_runs_the_task_on_time" {
  command = apply

  module {
    source = "./modules/scheduled_task"
  }

  variables {
    schedule_expression = "cron(30 1 * * ? *)"
  }

  assert {
    condition     = aws_scheduler_schedule.this.schedule_expression == "cron(30 1 * * ? *)" && aws_scheduler_schedule.this.flexible_time_window[0].mode == "OFF"
    error_message = "the schedule fires at schedule_expression, no flexible window"
  }
  assert {
    condition = (aws_scheduler_schedule.this.target[0].arn == aws_ecs_cluster.this.arn
      && aws_scheduler_schedule.this.target[0].ecs_parameters[0].task_definition_arn == aws_ecs_task_definition.this.arn
    && aws_scheduler_schedule.this.target[0].ecs_parameters[0].launch_type == "FARGATE")
    error_message = "the schedule runs this task definition revision on Fargate in the module's cluster"
  }
  assert {
    condition     = !aws_scheduler_schedule.this.target[0].ecs_parameters[0].network_configuration[0].assign_public_ip
    error_message = "runs get no public address"
  }
  assert {
    condition     = aws_scheduler_schedule.this.target[0].dead_letter_config[0].arn == aws_sqs_queue.dead_letter.arn && aws_sqs_queue.dead_letter.kms_master_key_id == var.kms_key_arn
    error_message = "unstarted runs go to a KMS-encrypted dead-letter queue"
  }
  assert {
    condition     = aws_scheduler_schedule.this.kms_key_arn == var.kms_key_arn && aws_scheduler_schedule.this.state == "ENABLED"
    error_message = "the schedule is encrypted with the project key and enabled"
  }
}

run "failed_runs_raise_alarms" {
  command = apply

  module {
    source = "./modules/scheduled_task"
  }

  assert {
    condition = (jsondecode(aws_cloudwatch_event_rule.failed_runs.event_pattern).detail.lastStatus == ["STOPPED"]
    && jsondecode(aws_cloudwatch_event_rule.failed_runs.event_pattern).detail["$or"][1].containers.exitCode == [{ "anything-but" = 0 }])
    error_message = "the rule matches stopped scoring tasks with a non-zero exit code"
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.failed_runs.dimensions["RuleName"] == aws_cloudwatch_event_rule.failed_runs.name
    && aws_cloudwatch_metric_alarm.failed_runs.alarm_actions == toset([var.alarm_topic_arn]))
    error_message = "a failed run pages through the alarm topic"
  }
  assert {
    condition = (aws_cloudwatch_metric_alarm.dead_letters.dimensions["QueueName"] == aws_sqs_queue.dead_letter.name
    && aws_cloudwatch_metric_alarm.dead_letters.alarm_actions == toset([var.alarm_topic_arn]))
    error_message = "a message in the dead-letter queue pages through the alarm topic"
  }
  assert {
    condition     = output.alarm_names == ["demo-dev-score-failed", "demo-dev-score-not-started"]
    error_message = "the module reports its alarms"
  }
}

run "paused_schedule" {
  command = plan

  module {
    source = "./modules/scheduled_task"
  }

  variables {
    enabled = false
  }

  assert {
    condition     = aws_scheduler_schedule.this.state == "DISABLED"
    error_message = "enabled = false pauses the schedule"
  }
}

# Each rule checks its own variable, so one plan breaks them all: the run passes only
# if every listed rule refused its value.
run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/scheduled_task"
  }

  variables {
    schedule_expression = "0 3 * * *"
    input_uri           = "s3://demo-dev-lake/scoring/input/records.json"
    image               = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:latest"
  }

  expect_failures = [
    var.schedule_expression,
    var.input_uri,
    var.image,
  ]
}
