# What every target shares: the image registry, the buckets and their key, the alarm
# topic with the cost budget, and the role CI deploys with. The model's runtime (module
# "target", and module "network" where it needs one) is in target.tf.

data "aws_caller_identity" "current" {}

module "storage" {
  source = "./modules/storage"

  name          = local.name
  account_id    = data.aws_caller_identity.current.account_id
  region        = var.region
  force_destroy = var.force_destroy
}

module "registry" {
  source = "./modules/registry"

  name         = local.name
  kms_key_arn  = module.storage.kms_key_arn
  force_delete = var.force_destroy
}

module "alerts" {
  source = "./modules/alerts"

  name               = local.name
  account_id         = data.aws_caller_identity.current.account_id
  kms_key_arn        = module.storage.kms_key_arn
  alarm_email        = var.alarm_email
  monthly_budget_usd = var.monthly_budget_usd
  # The budget counts what carries this environment's Stack tag (providers.tf default_tags).
  budget_tag = { key = "Stack", value = local.tags.Stack }
}

module "ci_role" {
  source = "./modules/ci_role"

  name            = local.name
  account_id      = data.aws_caller_identity.current.account_id
  region          = var.region
  create_provider = var.ci_oidc_create_provider
  issuer_url      = var.ci_oidc_issuer_url
  audience        = var.ci_oidc_audience
  subjects        = var.ci_oidc_subjects[var.environment]

  repository_arn    = module.registry.repository_arn
  kms_key_arn       = module.storage.kms_key_arn
  models_bucket_arn = module.storage.models_bucket_arn
  state_bucket      = var.tf_state_bucket
  # The key envs/<environment>.s3.tfbackend sets.
  state_key = "${var.project}/${var.environment}.tfstate"
  # The deploy target's module (target.tf): the role may plan and apply its resources only.
  target = local.target_module
}
