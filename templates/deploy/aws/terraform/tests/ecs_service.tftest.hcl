# The ECS service module (and the network it runs in), planned and applied against a
# mocked AWS provider: what Terraform would ask AWS for, offline and in seconds
# (tests/test_aws_target.py applies the whole configuration against moto).

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
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/demo-dev" }
  }
  mock_resource "aws_ecs_cluster" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:cluster/demo-dev" }
  }
  mock_resource "aws_ecs_service" {
    defaults = { id = "arn:aws:ecs:eu-west-1:123456789012:service/demo-dev/demo-dev" }
  }
  mock_resource "aws_ecs_task_definition" {
    defaults = { arn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/demo-dev:1" }
  }
  mock_resource "aws_lb" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/demo-dev/0123456789abcdef"
      arn_suffix = "app/demo-dev/0123456789abcdef"
      dns_name   = "demo-dev-123.eu-west-1.elb.amazonaws.com"
    }
  }
  mock_resource "aws_lb_target_group" {
    defaults = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/demo-dev-blue/0123456789abcdef"
      arn_suffix = "targetgroup/demo-dev-blue/0123456789abcdef"
    }
  }
  mock_resource "aws_lb_listener" {
    defaults = { arn = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/demo-dev/0123456789abcdef/0123456789abcdef" }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = { arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:demo-dev" }
  }
}

variables {
  name               = "demo-dev"
  image              = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:0123abc"
  container_port     = 8000
  health_check_path  = "/health/ready"
  model_uri          = "s3://demo-dev-models/models/champion/"
  environment        = { LOG_LEVEL = "INFO" }
  kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  models_bucket_arn  = "arn:aws:s3:::demo-dev-models"
  alarm_topic_arn    = "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms"
  log_retention_days = 30
  min_capacity       = 0
  max_capacity       = 2
  vpc_id             = "vpc-0123456789abcdef0"
  public_subnet_ids  = ["subnet-0a", "subnet-0b"]
  private_subnet_ids = ["subnet-1a", "subnet-1b"]
}

run "network_two_zones_private_egress_flow_logs" {
  command = apply

  module {
    source = "./modules/network"
  }

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2 && aws_subnet.private[0].availability_zone != aws_subnet.private[1].availability_zone
    error_message = "a public and a private subnet in each of two zones"
  }
  assert {
    condition     = alltrue([for s in aws_subnet.public : !s.map_public_ip_on_launch])
    error_message = "nothing in the public subnets gets a public address by default"
  }
  assert {
    condition     = length(aws_nat_gateway.this) == 1 && length(aws_vpc_endpoint.interface) == 0 && aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway"
    error_message = "default egress: one NAT gateway, S3 through the free gateway endpoint"
  }
  assert {
    condition     = length(aws_default_security_group.this.ingress) == 0 && length(aws_default_security_group.this.egress) == 0
    error_message = "the default security group allows nothing"
  }
  assert {
    condition     = aws_flow_log.this.traffic_type == "ALL" && aws_cloudwatch_log_group.flow.kms_key_id == var.kms_key_arn
    error_message = "flow logs of all traffic, to a KMS-encrypted log group"
  }
}

run "network_endpoints_instead_of_nat" {
  command = plan

  module {
    source = "./modules/network"
  }

  variables {
    private_egress = "endpoints"
  }

  assert {
    condition     = length(aws_nat_gateway.this) == 0 && length(aws_route.private_nat) == 0 && toset(keys(aws_vpc_endpoint.interface)) == toset(["ecr.api", "ecr.dkr", "logs"])
    error_message = "endpoints: no NAT, interface endpoints for ECR and CloudWatch Logs"
  }
}

run "http_service_follows_port_and_health_path" {
  command = apply

  module {
    source = "./modules/ecs_service"
  }

  variables {
    container_port    = 8080
    health_check_path = "/health/ready"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].command == ["serve", "--host", "0.0.0.0", "--port", "8080"]
    error_message = "the container runs the CLI's serve on container_port"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings[0].containerPort == 8080
    error_message = "the container exposes container_port"
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == var.image
      && contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "MODEL_URI", value = var.model_uri })
    && contains(jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment, { name = "LOG_LEVEL", value = "INFO" }))
    error_message = "the container runs the image with MODEL_URI and the extra environment"
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem
    && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user == "10001:10001")
    error_message = "read-only root file system, non-root user 10001"
  }
  assert {
    condition = (jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.logDriver == "awslogs"
    && jsondecode(aws_ecs_task_definition.this.container_definitions)[0].logConfiguration.options["awslogs-group"] == aws_cloudwatch_log_group.this.name)
    error_message = "the container logs to the module's log group"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.kms_key_id == var.kms_key_arn && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "the log group is encrypted with the project key and expires"
  }
  assert {
    condition     = one(aws_ecs_cluster.this.setting).name == "containerInsights" && one(aws_ecs_cluster.this.setting).value == "enabled"
    error_message = "Container Insights is on (the request scaling metric needs it)"
  }
  assert {
    condition = alltrue([for tg in aws_lb_target_group.this : tg.port == 8080 && tg.protocol_version == "HTTP1"
    && tg.health_check[0].path == "/health/ready" && tg.health_check[0].matcher == "200"])
    error_message = "both target groups probe health_check_path on container_port over HTTP/1.1"
  }
  assert {
    condition     = aws_lb.this.drop_invalid_header_fields && !aws_lb.this.internal
    error_message = "an internet-facing ALB that drops invalid headers"
  }
  assert {
    condition     = length(aws_lb_listener.http) == 1 && length(aws_lb_listener.https) == 0 && output.endpoint == "http://demo-dev-123.eu-west-1.elb.amazonaws.com"
    error_message = "without a certificate the service is plain HTTP on 80"
  }
  assert {
    condition     = !aws_ecs_service.this.network_configuration[0].assign_public_ip && aws_ecs_service.this.desired_count == 0
    error_message = "tasks run without public addresses; dev starts at min_capacity 0"
  }
  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 0 && aws_appautoscaling_target.this.max_capacity == 2
    error_message = "autoscaling between min_capacity and max_capacity"
  }
  assert {
    condition = (aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization"
    && length(aws_appautoscaling_policy.requests.target_tracking_scaling_policy_configuration[0].customized_metric_specification[0].metrics) == 3)
    error_message = "target tracking on CPU and on requests per task"
  }
}

run "alarms_and_blue_green_rollout" {
  command = apply

  module {
    source = "./modules/ecs_service"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.latency.metric_name == "TargetResponseTime"
      && aws_cloudwatch_metric_alarm.latency.extended_statistic == "p95"
    && aws_cloudwatch_metric_alarm.latency.alarm_actions == toset([var.alarm_topic_arn]))
    error_message = "p95 latency alarm to the alarm topic"
  }
  assert {
    condition = (contains([for q in aws_cloudwatch_metric_alarm.errors.metric_query : try(q.metric[0].metric_name, "")], "HTTPCode_Target_5XX_Count")
    && aws_cloudwatch_metric_alarm.errors.alarm_actions == toset([var.alarm_topic_arn]))
    error_message = "5xx alarm to the alarm topic"
  }
  assert {
    condition     = aws_ecs_service.this.deployment_controller[0].type == "CODE_DEPLOY"
    error_message = "CodeDeploy controls the service's deployments"
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this.deployment_config_name == "CodeDeployDefault.ECSCanary10Percent5Minutes"
    && aws_codedeploy_deployment_group.this.deployment_style[0].deployment_type == "BLUE_GREEN")
    error_message = "blue-green with a canary shift"
  }
  assert {
    condition = (aws_codedeploy_deployment_group.this.auto_rollback_configuration[0].enabled
    && aws_codedeploy_deployment_group.this.auto_rollback_configuration[0].events == toset(["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]))
    error_message = "a failed deployment or an alarm rolls back"
  }
  assert {
    condition     = aws_codedeploy_deployment_group.this.alarm_configuration[0].alarms == toset(["demo-dev-5xx", "demo-dev-p95-latency"])
    error_message = "the deployment watches both alarms"
  }
  assert {
    condition     = output.alarm_names == ["demo-dev-5xx", "demo-dev-p95-latency"]
    error_message = "the module reports its alarms"
  }
}

run "https_listener_with_a_certificate" {
  command = plan

  module {
    source = "./modules/ecs_service"
  }

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    error_message = "HTTPS on 443 with TLS 1.2+ when a certificate is given"
  }
  assert {
    condition     = length(aws_lb_listener.http) == 0 && aws_lb_listener.redirect[0].default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "port 80 only redirects to HTTPS"
  }
}

run "grpc_health_check_switches_target_groups" {
  command = plan

  module {
    source = "./modules/ecs_service"
  }

  variables {
    health_check_path = "/grpc.health.v1.Health/Check"
    certificate_arn   = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition = alltrue([for tg in aws_lb_target_group.this : tg.protocol_version == "GRPC"
    && tg.health_check[0].path == "/grpc.health.v1.Health/Check" && tg.health_check[0].matcher == "0"])
    error_message = "a gRPC health path makes gRPC target groups that expect status 0"
  }
}

run "grpc_refused_without_https" {
  command = plan

  module {
    source = "./modules/ecs_service"
  }

  variables {
    health_check_path = "/grpc.health.v1.Health/Check"
  }

  expect_failures = [aws_lb_listener.http]
}

# Each rule checks its own variable, so one plan breaks them all: the run passes only
# if every listed rule refused its value.
run "rejects_bad_values" {
  command = plan

  module {
    source = "./modules/ecs_service"
  }

  variables {
    image                  = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:latest"
    container_port         = 80
    health_check_path      = "health/ready"
    model_uri              = "/models/champion"
    deployment_config_name = "CodeDeployDefault.AllAtOnce"
  }

  expect_failures = [
    var.image,
    var.container_port,
    var.health_check_path,
    var.model_uri,
    var.deployment_config_name,
  ]
}
