output "topic_arn" {
  description = "ARN of the alarm topic (alarm_actions / ok_actions of every alarm)."
  value       = aws_sns_topic.alarms.arn
}

output "budget_name" {
  description = "Name of the monthly cost budget."
  value       = aws_budgets_budget.monthly.name
}
