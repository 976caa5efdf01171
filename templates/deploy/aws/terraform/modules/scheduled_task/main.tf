# Batch scoring on a schedule: EventBridge Scheduler starts one Fargate task that scores
# the lake's input file and writes the predictions back to the lake.
#
# `score` reads and writes local files (atomically: a temporary file renamed at the end),
# so a run is three containers of the same image sharing the task's scratch volume:
#   fetch   input_uri  -> /tmp/input.<ext>          (boto3, the image's dependency)
#   score   /tmp/input.<ext> -> /tmp/predictions.<ext>   (the CLI's score command)
#   publish /tmp/predictions.<ext> -> output_uri    (only if score exited 0)
# Each waits for the previous one to exit 0 (dependsOn SUCCESS); a failure stops the task
# and leaves output_uri as it was.

data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  input_local  = "/tmp/input.${regex("[a-z]+$", var.input_uri)}"
  output_local = "/tmp/predictions.${regex("[a-z]+$", var.output_uri)}"
  input        = regex("^s3://(?P<bucket>[^/]+)/(?P<key>.+)$", var.input_uri)
  output       = regex("^s3://(?P<bucket>[^/]+)/(?P<key>.+)$", var.output_uri)

  # python -c <copy> <direction> <s3 uri> <local path>: one S3 copy with boto3.
  copy = join("; ", [
    "import sys, boto3",
    "way, uri, path = sys.argv[1:]",
    "bucket, _, key = uri.removeprefix('s3://').partition('/')",
    "s3 = boto3.client('s3')",
    "s3.download_file(bucket, key, path) if way == 'get' else s3.upload_file(path, bucket, key)",
    "print(way, uri, path)",
  ])

  environment = [
    for key, value in merge(var.environment, { MODEL_URI = var.model_uri, TMPDIR = "/tmp" }) :
    { name = key, value = value }
  ]
  common = {
    image                  = var.image
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    mountPoints            = [{ sourceVolume = "scratch", containerPath = "/tmp", readOnly = false }]
    linuxParameters        = { capabilities = { drop = ["ALL"] }, initProcessEnabled = true }
    environment            = local.environment
  }
  log = {
    logDriver = "awslogs"
    options = {
      awslogs-group  = aws_cloudwatch_log_group.this.name
      awslogs-region = data.aws_region.current.name
    }
  }
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
  name              = "/ecs/${var.name}-score"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-score"
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

  ephemeral_storage {
    size_in_gib = var.ephemeral_storage_gib
  }

  # The only writable path (root file systems are read-only), shared by the containers.
  volume {
    name = "scratch"
  }

  container_definitions = jsonencode([
    merge(local.common, {
      name             = "fetch"
      essential        = false
      entryPoint       = ["python", "-c", local.copy]
      command          = ["get", var.input_uri, local.input_local]
      logConfiguration = merge(local.log, { options = merge(local.log.options, { awslogs-stream-prefix = "fetch" }) })
    }),
    merge(local.common, {
      name      = "score"
      essential = false
      # The image's ENTRYPOINT is `python -m <package>`: this is its CLI's score command.
      command          = ["score", local.input_local, local.output_local]
      dependsOn        = [{ containerName = "fetch", condition = "SUCCESS" }]
      logConfiguration = merge(local.log, { options = merge(local.log.options, { awslogs-stream-prefix = "score" }) })
    }),
    merge(local.common, {
      name             = "publish"
      essential        = true # the task's outcome: it exits 0 only when the predictions are written
      entryPoint       = ["python", "-c", local.copy]
      command          = ["put", var.output_uri, local.output_local]
      dependsOn        = [{ containerName = "score", condition = "SUCCESS" }]
      logConfiguration = merge(local.log, { options = merge(local.log.options, { awslogs-stream-prefix = "publish" }) })
    }),
  ])
}

resource "aws_security_group" "task" {
  #checkov:skip=CKV2_AWS_5:attached to each run by the schedule's network_configuration (schedule.tf), which checkov does not follow
  name        = "${var.name}-score"
  description = "Scoring task: no inbound; HTTPS out to S3, ECR and CloudWatch Logs"
  vpc_id      = var.vpc_id

  egress {
    description = "HTTPS to AWS APIs (S3, ECR, CloudWatch Logs)"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  tags = { Name = "${var.name}-score" }
}
