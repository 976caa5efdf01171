output "endpoint" {
  description = "Base URL of the service (the load balancer)."
  value       = "${local.https ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "alarm_names" {
  description = "The alarms that page and roll a deployment back."
  value       = [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "The revision this apply registered (the AppSpec's TaskDefinition)."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Task definition family (CI registers new revisions in it)."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "Container the AppSpec's LoadBalancerInfo names."
  value       = local.container_name
}

output "container_port" {
  description = "Port the AppSpec's LoadBalancerInfo names."
  value       = var.container_port
}

output "codedeploy_app_name" {
  description = "CodeDeploy application (aws deploy create-deployment --application-name)."
  value       = aws_codedeploy_app.this.name
}

output "codedeploy_deployment_group_name" {
  description = "CodeDeploy deployment group (--deployment-group-name)."
  value       = aws_codedeploy_deployment_group.this.deployment_group_name
}

output "task_role_arn" {
  description = "Role of the running server (iam:PassRole for CI)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role ECS starts the task with (iam:PassRole for CI)."
  value       = aws_iam_role.execution.arn
}

output "target_group_arns" {
  description = "Blue and green target groups."
  value       = { for color, group in aws_lb_target_group.this : color => group.arn }
}
