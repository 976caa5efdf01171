output "registry_url" {
  description = "ECR repository URL: docker push <registry_url>:<tag>."
  value       = module.registry.repository_url
}

output "models_bucket" {
  description = "Bucket of model bundles (models/champion/ is what the target serves) and MLflow artifacts."
  value       = module.storage.models_bucket
}

output "lake_bucket" {
  description = "Bucket of the data lake (raw and feature tables)."
  value       = module.storage.lake_bucket
}

output "model_uri" {
  description = "The bundle prefix the target serves."
  value       = local.model_uri
}

output "ci_role_arn" {
  description = "Role the CI deploy job assumes through OIDC (set it in the CI provider's deploy environment)."
  value       = module.ci_role.role_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the target's alarms and the cost budget."
  value       = module.alerts.topic_arn
}

output "image_tag" {
  description = "The image tag (and model bundle prefix) this environment runs: `make rollback` returns to the one before."
  value       = var.image_tag
}
