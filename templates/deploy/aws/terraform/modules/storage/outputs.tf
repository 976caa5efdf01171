output "kms_key_arn" {
  description = "Key of the buckets, registry, log groups and alarm topic."
  value       = aws_kms_key.this.arn
}

output "lake_bucket" {
  description = "Name of the data lake bucket."
  value       = aws_s3_bucket.data["lake"].bucket
}

output "lake_bucket_arn" {
  description = "ARN of the data lake bucket."
  value       = aws_s3_bucket.data["lake"].arn
}

output "models_bucket" {
  description = "Name of the models bucket (bundles, MLflow artifacts)."
  value       = aws_s3_bucket.data["models"].bucket
}

output "models_bucket_arn" {
  description = "ARN of the models bucket."
  value       = aws_s3_bucket.data["models"].arn
}

output "access_logs_bucket" {
  description = "Bucket of S3 server access logs and load balancer access logs (ALB prefix: anything but AWSLogs)."
  value       = aws_s3_bucket.access_logs.bucket
}
