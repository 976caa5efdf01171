# The serving image on Fargate behind an ALB. Traffic reaches new revisions through
# CodeDeploy blue-green (rollout.tf): Terraform creates the service once and then leaves
# its task definition and target group to CodeDeploy (lifecycle.ignore_changes below).

data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  container_name = "model"
  # An ALB probes gRPC servers with a gRPC call: the health path is then a method path
  # (/grpc.health.v1.Health/Check) and "0" (OK) the only healthy status.
  grpc = startswith(var.health_check_path, "/grpc.")
  # Load balancer and target group names stop at 32 characters ("-green" included): a
  # long name keeps its start and gains a hash of the whole, so it stays unique.
  short_name = length(var.name) <= 26 ? var.name : "${substr(var.name, 0, 19)}-${substr(sha1(var.name), 0, 6)}"
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_338:retention is log_retention_days, chosen per environment (a year of logs costs more than dev is worth)
  name              = "/ecs/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The only writable path (the root file system is read-only): temporary files and the
  # model bundle the loader downloads from MODEL_URI.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name      = local.container_name
    image     = var.image
    essential = true
    # The image's ENTRYPOINT is `python -m <package>`: this is its CLI's serve command.
    command = ["serve", "--host", "0.0.0.0", "--port", tostring(var.container_port)]
    user    = "10001:10001"
    portMappings = [{
      containerPort = var.container_port
      protocol      = "tcp"
    }]
    environment = [
      for key, value in merge(var.environment, { MODEL_URI = var.model_uri, TMPDIR = "/tmp" }) :
      { name = key, value = value }
    ]
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters = {
      capabilities       = { drop = ["ALL"] }
      initProcessEnabled = true
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = "serve"
      }
    }
  }])
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "Tasks: the serving port from the load balancer only"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-tasks" }
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Serving port from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

# HTTPS out only: ECR, S3 (models), CloudWatch Logs, through NAT or the VPC endpoints.
resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS to AWS APIs (ECR, S3, CloudWatch Logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_ecs_service" "this" {
  name                              = var.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.min_capacity
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  enable_execute_command            = false
  propagate_tags                    = "SERVICE"

  deployment_controller {
    type = "CODE_DEPLOY"
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this["blue"].arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  lifecycle {
    # CodeDeploy owns these after creation: it swaps the target group and rolls the
    # task definition; autoscaling owns the count.
    ignore_changes = [task_definition, load_balancer, desired_count]
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https]
}
