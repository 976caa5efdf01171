output "endpoint" {
  description = "Endpoint name (invoke with sagemaker-runtime InvokeEndpoint)."
  value       = aws_sagemaker_endpoint.this.name
}

output "endpoint_arn" {
  description = "Endpoint ARN."
  value       = aws_sagemaker_endpoint.this.arn
}

output "endpoint_config_name" {
  description = "The endpoint configuration now in use (CI compares it after a deploy)."
  value       = aws_sagemaker_endpoint_configuration.this.name
}

output "model_name" {
  description = "The SageMaker model the endpoint serves."
  value       = aws_sagemaker_model.this.name
}

output "execution_role_arn" {
  description = "Role the model runs as (the CI role passes it to SageMaker)."
  value       = aws_iam_role.execution.arn
}

output "alarm_names" {
  description = "Alarms watching the endpoint; they also roll a deployment back."
  value       = [aws_cloudwatch_metric_alarm.errors.alarm_name, aws_cloudwatch_metric_alarm.latency.alarm_name]
}

output "log_group" {
  description = "CloudWatch log group of the endpoint's containers."
  value       = aws_cloudwatch_log_group.endpoint.name
}
