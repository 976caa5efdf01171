# Two ways a scheduled run fails, each with its alarm to alarm_topic_arn:
# - it never starts: Scheduler's RunTask call fails after its retries -> dead-letter queue;
# - it starts and fails: ECS reports the task STOPPED with a container that exited
#   non-zero (or a task that failed to start: image pull, capacity). An EventBridge rule
#   keeps those events in a log group (the exit codes and stoppedReason, for whoever is
#   paged) and its TriggeredRules metric raises the alarm.

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.name}-score-not-started"
  alarm_description   = "A scheduled scoring run could not be started (see the dead-letter queue ${aws_sqs_queue.dead_letter.name})"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_event_rule" "failed_runs" {
  name        = "${var.name}-score-failed"
  description = "Scoring tasks that stopped with a non-zero exit code or failed to start"

  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change"]
    detail = {
      clusterArn        = [aws_ecs_cluster.this.arn]
      lastStatus        = ["STOPPED"]
      taskDefinitionArn = [{ prefix = "${aws_ecs_task_definition.this.arn_without_revision}:" }]
      "$or" = [
        { stopCode = ["TaskFailedToStart"] },
        { containers = { exitCode = [{ anything-but = 0 }] } },
      ]
    }
  })
}

# EventBridge only delivers to log groups named /aws/events/...
resource "aws_cloudwatch_log_group" "failed_runs" {
  #checkov:skip=CKV_AWS_338:retention is log_retention_days, chosen per environment (a year of logs costs more than dev is worth)
  name              = "/aws/events/${var.name}-score-failed"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "failed_runs_log" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.failed_runs.arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.failed_runs.arn]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "failed_runs" {
  policy_name     = "${var.name}-score-failed"
  policy_document = data.aws_iam_policy_document.failed_runs_log.json
}

resource "aws_cloudwatch_event_target" "failed_runs" {
  rule      = aws_cloudwatch_event_rule.failed_runs.name
  target_id = "log"
  arn       = aws_cloudwatch_log_group.failed_runs.arn

  depends_on = [aws_cloudwatch_log_resource_policy.failed_runs]
}

resource "aws_cloudwatch_metric_alarm" "failed_runs" {
  alarm_name          = "${var.name}-score-failed"
  alarm_description   = "A scheduled scoring run failed (events in ${aws_cloudwatch_log_group.failed_runs.name}, logs in ${aws_cloudwatch_log_group.this.name})"
  namespace           = "AWS/Events"
  metric_name         = "TriggeredRules"
  dimensions          = { RuleName = aws_cloudwatch_event_rule.failed_runs.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}
