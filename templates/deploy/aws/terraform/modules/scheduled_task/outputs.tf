output "endpoint" {
  description = "The schedule that starts the scoring runs (what this target exposes)."
  value       = aws_scheduler_schedule.this.name
}

output "alarm_names" {
  description = "Alarms of runs that failed or never started."
  value       = [aws_cloudwatch_metric_alarm.failed_runs.alarm_name, aws_cloudwatch_metric_alarm.dead_letters.alarm_name]
}

output "schedule_arn" {
  description = "The EventBridge Scheduler schedule."
  value       = aws_scheduler_schedule.this.arn
}

output "cluster_name" {
  description = "ECS cluster the runs start in (make score-now: aws ecs run-task)."
  value       = aws_ecs_cluster.this.name
}

output "task_definition_arn" {
  description = "The revision the schedule runs (this apply's)."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_family" {
  description = "Task definition family."
  value       = aws_ecs_task_definition.this.family
}

output "subnet_ids" {
  description = "Subnets of a manual run (aws ecs run-task --network-configuration)."
  value       = var.private_subnet_ids
}

output "security_group_id" {
  description = "Security group of a manual run."
  value       = aws_security_group.task.id
}

output "dead_letter_queue_url" {
  description = "Dead-letter queue of runs that could not be started."
  value       = aws_sqs_queue.dead_letter.url
}

output "input_uri" {
  description = "What each run scores."
  value       = var.input_uri
}

output "output_uri" {
  description = "Where each run writes its predictions."
  value       = var.output_uri
}

output "task_role_arn" {
  description = "Role of the scoring task (iam:PassRole for CI)."
  value       = aws_iam_role.task.arn
}

output "execution_role_arn" {
  description = "Role ECS starts the task with (iam:PassRole for CI)."
  value       = aws_iam_role.execution.arn
}
