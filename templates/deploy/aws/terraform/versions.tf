terraform {
  # 1.10: the S3 backend locks with a lock file next to the state (use_lockfile), no
  # DynamoDB table to create first; `terraform test` with mock providers needs 1.7.
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.60, < 7"
    }
  }

  # Partial configuration: bucket, key and region come from envs/<env>.s3.tfbackend
  # (terraform init -backend-config=envs/dev.s3.tfbackend), one state per environment.
  backend "s3" {}
}
