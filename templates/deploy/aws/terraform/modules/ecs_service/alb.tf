# Internet-facing ALB in the public subnets. With a certificate: HTTPS on 443 and a
# redirect on 80; without (dev): plain HTTP on 80. Two target groups, blue and green,
# that CodeDeploy swaps behind the production listener.

locals {
  https = var.certificate_arn != ""
  # The listener CodeDeploy moves from one target group to the other.
  production_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http[0].arn
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Load balancer: HTTP(S) from ingress_cidrs, to the tasks' port"
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = { for pair in setproduct(local.https ? [80, 443] : [80], var.ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = each.value[0] == 443 ? "HTTPS from callers" : (local.https ? "HTTP from callers, redirected to HTTPS" : "HTTP from callers (no certificate)")
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
  cidr_ipv4         = each.value[1]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Serving port of the tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.tasks.id
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:a WAF web ACL costs about 6 USD a month plus rules; attach one (aws_wafv2_web_acl_association) when the endpoint is public in prod
  #checkov:skip=CKV_AWS_150:deletion protection is deletion_protection, on for prod (target.tf); off in dev so terraform destroy works
  #checkov:skip=CKV2_AWS_20:with certificate_arn set, port 80 only redirects to HTTPS (aws_lb_listener.redirect); dev without a certificate has no HTTPS
  #checkov:skip=CKV_AWS_91:access logs need a bucket whose policy admits the ELB log delivery: set access_logs_bucket to turn them on
  name                       = local.short_name
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.name
      enabled = true
    }
  }
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the tasks stays inside the VPC, admitted by security group to the serving port only
  for_each = toset(["blue", "green"])

  name                 = "${local.short_name}-${each.key}"
  vpc_id               = var.vpc_id
  target_type          = "ip" # awsvpc tasks register by address
  port                 = var.container_port
  protocol             = "HTTP"
  protocol_version     = local.grpc ? "GRPC" : "HTTP1"
  deregistration_delay = 30

  health_check {
    enabled             = true
    path                = var.health_check_path
    protocol            = "HTTP"
    port                = "traffic-port"
    matcher             = local.grpc ? "0" : "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action] # CodeDeploy points it at blue or green
  }
}

# Dev without a certificate: port 80 is the production listener.
resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:only without a certificate (dev); with certificate_arn set port 80 only redirects to HTTPS
  #checkov:skip=CKV_AWS_103:only without a certificate (dev): there is no TLS to configure
  count = local.https ? 0 : 1

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["blue"].arn
  }

  lifecycle {
    ignore_changes = [default_action] # CodeDeploy points it at blue or green

    precondition {
      condition     = !local.grpc
      error_message = "A gRPC health check needs HTTPS: an ALB forwards gRPC only from an HTTPS listener, so set certificate_arn."
    }
  }
}

resource "aws_lb_listener" "redirect" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
