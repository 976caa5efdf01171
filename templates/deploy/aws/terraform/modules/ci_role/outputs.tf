output "role_arn" {
  description = "ARN of the CI deploy role."
  value       = aws_iam_role.deploy.arn
}

output "role_name" {
  description = "Name of the CI deploy role."
  value       = aws_iam_role.deploy.name
}

output "oidc_provider_arn" {
  description = "ARN of the OIDC provider the role trusts."
  value       = local.oidc_provider_arn
}
