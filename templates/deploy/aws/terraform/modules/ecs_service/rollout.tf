# Blue-green through CodeDeploy. A deployment (CI: `aws deploy create-deployment` with an
# AppSpec naming a new task definition revision) starts the new tasks behind the idle
# target group, shifts deployment_config_name's canary share of the production listener,
# then the rest; a 5xx or latency alarm during the shift, or a failed deployment, moves
# all traffic back to the old tasks.

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${var.name}-codedeploy"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
}

# What AWSCodeDeployRoleForECS grants, narrowed to this service, its listeners and roles.
data "aws_iam_policy_document" "codedeploy" {
  statement {
    sid     = "TaskSets"
    actions = ["ecs:DescribeServices", "ecs:CreateTaskSet", "ecs:UpdateServicePrimaryTaskSet", "ecs:DeleteTaskSet"]
    resources = [
      aws_ecs_service.this.id,
      "arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:*:task-set/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}/*",
    ]
  }

  statement {
    sid       = "ShiftTraffic"
    actions   = ["elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule"]
    resources = [local.production_listener_arn, "${replace(local.production_listener_arn, ":listener/", ":listener-rule/")}/*"]
  }

  statement {
    sid = "Observe"
    # Describe calls take no resource-level permissions.
    actions = [
      "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeRules",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "WatchAlarms"
    actions   = ["cloudwatch:DescribeAlarms"]
    resources = [aws_cloudwatch_metric_alarm.errors.arn, aws_cloudwatch_metric_alarm.latency.arn]
  }

  statement {
    sid       = "StartTasks"
    actions   = ["iam:PassRole"]
    resources = [aws_iam_role.task.arn, aws_iam_role.execution.arn]
  }
}

resource "aws_iam_role_policy" "codedeploy" {
  name   = "blue-green"
  role   = aws_iam_role.codedeploy.id
  policy = data.aws_iam_policy_document.codedeploy.json
}

resource "aws_codedeploy_app" "this" {
  name             = var.name
  compute_platform = "ECS"
}

resource "aws_codedeploy_deployment_group" "this" {
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = var.name
  service_role_arn       = aws_iam_role.codedeploy.arn
  deployment_config_name = var.deployment_config_name

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout = "CONTINUE_DEPLOYMENT"
    }

    # The old tasks stay 5 minutes after success: a manual rollback within that window
    # (make rollback) only moves traffic back.
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = 5
    }
  }

  ecs_service {
    cluster_name = aws_ecs_cluster.this.name
    service_name = aws_ecs_service.this.name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [local.production_listener_arn]
      }
      target_group {
        name = aws_lb_target_group.this["blue"].name
      }
      target_group {
        name = aws_lb_target_group.this["green"].name
      }
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms  = [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]
  }

  depends_on = [aws_iam_role_policy.codedeploy]
}
