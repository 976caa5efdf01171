# What every target shares (registry, storage, alerts, CI role) and the root variables'
# validation, planned and applied against a mocked AWS provider: offline and in seconds.
# It checks what Terraform would ask AWS for; tests/test_terraform.py applies the same
# configuration against moto to check AWS-shaped answers.

mock_provider "aws" {
  # Mocked computed attributes are random strings: those another resource validates as an
  # ARN, an account or JSON get fixed values.
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/test" }
  }
  mock_data "aws_elb_service_account" {
    defaults = { arn = "arn:aws:iam::156460612806:root" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = {
      arn            = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-dev"
      repository_url = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev"
    }
  }
  mock_resource "aws_iam_openid_connect_provider" {
    defaults = { arn = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/demo-dev-role" }
  }
  mock_resource "aws_iam_policy" {
    defaults = { arn = "arn:aws:iam::123456789012:policy/demo-dev-ci-apply" }
  }
  # The VPC flow log of the targets that have a network (ecs, eks, schedule) writes here.
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:demo-dev" }
  }
  # eks: the node group's launch template and the cluster (ARN-validated references).
  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0", latest_version = 1 }
  }
  mock_resource "aws_eks_cluster" {
    defaults = { arn = "arn:aws:eks:eu-west-1:123456789012:cluster/demo-dev" }
  }
}

# The model's runtime is the target's own test (tests/<target module>.tftest.hcl): here it
# is replaced by its outputs, so these runs hold whichever target the project deploys to.
override_module {
  target = module.target
}

variables {
  project            = "demo"
  environment        = "dev"
  image_tag          = "0123abc"
  container_port     = 8000
  health_check_path  = "/health/ready"
  ci_oidc_issuer_url = "https://token.actions.githubusercontent.com"
  ci_oidc_audience   = "sts.amazonaws.com"
  ci_oidc_subjects = {
    dev  = ["repo:octo/demo:environment:dev"]
    prod = ["repo:octo/demo:environment:prod"]
  }
  tf_state_bucket = "demo-terraform-state"
}

run "root_names_tags_and_defaults" {
  command = apply

  assert {
    condition     = local.name == "demo-dev" && local.tags.Stack == "demo-dev" && local.tags.Environment == "dev"
    error_message = "resources are named and tagged <project>-<environment>"
  }
  assert {
    condition     = output.registry_url == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev"
    error_message = "the registry URL is the repository's"
  }
  assert {
    condition     = local.image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-dev:0123abc"
    error_message = "the target runs <registry>:<image_tag>"
  }
  assert {
    condition     = output.models_bucket == "demo-dev-models-123456789012" && output.lake_bucket == "demo-dev-lake-123456789012"
    error_message = "bucket names carry the environment and the account (they are global)"
  }
  assert {
    condition     = output.model_uri == "s3://demo-dev-models-123456789012/models/champion/"
    error_message = "without model_uri the target serves the champion of the environment's models bucket"
  }
  assert {
    condition     = output.alarm_topic_arn == "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms"
    error_message = "the alarm topic is the alerts module's"
  }
}

run "model_uri_given" {
  command = plan

  variables {
    model_uri = "s3://other-bucket/models/v7/"
  }

  assert {
    condition     = local.model_uri == "s3://other-bucket/models/v7/"
    error_message = "a given model_uri is served as is"
  }
}

run "registry_immutable_scanned_encrypted" {
  command = apply

  module {
    source = "./modules/registry"
  }

  variables {
    name        = "demo-dev"
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  }

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "image tags are immutable"
  }
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "images are scanned on push"
  }
  assert {
    condition = (aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    && aws_ecr_repository.this.encryption_configuration[0].kms_key == var.kms_key_arn)
    error_message = "layers are encrypted with the project key"
  }
  assert {
    condition     = [for r in jsondecode(aws_ecr_lifecycle_policy.this.policy).rules : r.selection.countNumber] == [7, 30]
    error_message = "untagged layers expire after 7 days and 30 releases are kept"
  }
}

run "storage_private_versioned_kms_tls_only" {
  command = apply

  module {
    source = "./modules/storage"
  }

  variables {
    name       = "demo-dev"
    account_id = "123456789012"
    region     = "eu-west-1"
  }

  assert {
    condition     = aws_kms_key.this.enable_key_rotation && aws_kms_alias.this.name == "alias/demo-dev"
    error_message = "the project key rotates and has the environment's alias"
  }
  assert {
    condition     = toset(keys(aws_s3_bucket.data)) == toset(["lake", "models"])
    error_message = "there is a lake bucket and a models bucket"
  }
  assert {
    condition     = alltrue([for v in aws_s3_bucket_versioning.data : v.versioning_configuration[0].status == "Enabled"])
    error_message = "data buckets are versioned"
  }
  assert {
    condition = alltrue([for e in aws_s3_bucket_server_side_encryption_configuration.data :
      one(e.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    && one(e.rule).apply_server_side_encryption_by_default[0].kms_master_key_id == aws_kms_key.this.arn])
    error_message = "data buckets are encrypted with the project key"
  }
  assert {
    condition = alltrue([for b in concat(values(aws_s3_bucket_public_access_block.data), [aws_s3_bucket_public_access_block.access_logs]) :
    b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "every bucket blocks public access"
  }
  assert {
    condition = alltrue([for d in concat(values(data.aws_iam_policy_document.data), [data.aws_iam_policy_document.access_logs]) :
      anytrue([for s in d.statement : s.effect == "Deny" && contains(s.actions, "s3:*")
    && anytrue([for c in s.condition : c.variable == "aws:SecureTransport" && toset(c.values) == toset(["false"])])])])
    error_message = "every bucket policy denies requests without TLS"
  }
  assert {
    condition     = alltrue([for l in aws_s3_bucket_logging.data : l.target_bucket == aws_s3_bucket.access_logs.id])
    error_message = "data buckets log access to the access-log bucket"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.access_logs.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "AES256"
    error_message = "the access-log bucket is SSE-S3 (S3 and ELB log delivery refuse SSE-KMS)"
  }
  assert {
    condition = alltrue([for c in values(aws_s3_bucket_lifecycle_configuration.data) :
      one(c.rule).status == "Enabled" && one(c.rule).noncurrent_version_expiration[0].noncurrent_days == var.noncurrent_version_days
    && one(c.rule).abort_incomplete_multipart_upload[0].days_after_initiation == 7])
    error_message = "data buckets expire old versions and abandoned uploads"
  }
  assert {
    condition = (one(aws_s3_bucket_lifecycle_configuration.access_logs.rule).expiration[0].days == var.access_log_days
    && one(aws_s3_bucket_lifecycle_configuration.access_logs.rule).status == "Enabled")
    error_message = "access logs expire"
  }
}

run "alerts_encrypted_topic_and_budget" {
  command = apply

  module {
    source = "./modules/alerts"
  }

  variables {
    name               = "demo-dev"
    account_id         = "123456789012"
    kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    monthly_budget_usd = 50
    budget_tag         = { key = "Stack", value = "demo-dev" }
  }

  assert {
    condition     = aws_sns_topic.alarms.kms_master_key_id == var.kms_key_arn
    error_message = "the alarm topic is encrypted with the project key"
  }
  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0
    error_message = "no e-mail subscription without an address"
  }
  assert {
    condition = (aws_budgets_budget.monthly.limit_amount == "50.00" && aws_budgets_budget.monthly.time_unit == "MONTHLY"
    && aws_budgets_budget.monthly.budget_type == "COST" && aws_budgets_budget.monthly.name == "demo-dev-monthly")
    error_message = "a monthly cost budget of monthly_budget_usd"
  }
  assert {
    condition     = toset(one(aws_budgets_budget.monthly.cost_filter).values) == toset(["user:Stack$demo-dev"])
    error_message = "the budget counts this environment's Stack tag only"
  }
  assert {
    condition = (length(aws_budgets_budget.monthly.notification) == 2 && alltrue([
    for n in aws_budgets_budget.monthly.notification : n.subscriber_sns_topic_arns == toset([aws_sns_topic.alarms.arn])]))
    error_message = "both budget notifications go to the alarm topic"
  }
}

run "alerts_email_subscription" {
  command = plan

  module {
    source = "./modules/alerts"
  }

  variables {
    name               = "demo-prod"
    account_id         = "123456789012"
    kms_key_arn        = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    monthly_budget_usd = 500
    alarm_email        = "oncall@example.com"
  }

  assert {
    condition     = aws_sns_topic_subscription.email[0].endpoint == "oncall@example.com" && aws_sns_topic_subscription.email[0].protocol == "email"
    error_message = "alarm_email is subscribed to the topic"
  }
  assert {
    condition     = length(aws_budgets_budget.monthly.cost_filter) == 0
    error_message = "without a tag the budget counts the whole account"
  }
}

run "ci_role_trusts_only_the_subjects" {
  command = apply

  module {
    source = "./modules/ci_role"
  }

  variables {
    name              = "demo-dev"
    account_id        = "123456789012"
    region            = "eu-west-1"
    issuer_url        = "https://token.actions.githubusercontent.com"
    audience          = "sts.amazonaws.com"
    subjects          = ["repo:octo/demo:environment:dev"]
    repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-dev"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    models_bucket_arn = "arn:aws:s3:::demo-dev-models-123456789012"
    state_bucket      = "demo-terraform-state"
    state_key         = "demo/dev.tfstate"
    target            = "ecs_service"
  }

  assert {
    condition     = aws_iam_openid_connect_provider.ci[0].url == var.issuer_url && aws_iam_openid_connect_provider.ci[0].client_id_list == toset([var.audience])
    error_message = "the OIDC provider is the issuer's, for the CI audience"
  }
  assert {
    condition = anytrue([for c in one(data.aws_iam_policy_document.trust.statement).condition :
    c.test == "StringEquals" && c.variable == "token.actions.githubusercontent.com:sub" && toset(c.values) == toset(var.subjects)])
    error_message = "the role trusts exactly the listed subjects"
  }
  assert {
    condition = anytrue([for c in one(data.aws_iam_policy_document.trust.statement).condition :
    c.test == "StringEquals" && c.variable == "token.actions.githubusercontent.com:aud" && toset(c.values) == toset([var.audience])])
    error_message = "the role checks the token's audience"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.deploy.statement :
    toset(s.actions) == toset(["iam:PassRole"]) && toset(s.resources) == toset(["arn:aws:iam::123456789012:role/demo-dev-*"])])
    error_message = "the role passes only this environment's roles"
  }
}

# What `terraform plan` and `terraform apply` in CI need, and what they must not get. The
# statements are the documents' inputs: the mocked provider renders no policy JSON.
run "ci_role_plans_and_applies_its_stack_only" {
  command = apply

  module {
    source = "./modules/ci_role"
  }

  variables {
    name              = "demo-dev"
    account_id        = "123456789012"
    region            = "eu-west-1"
    issuer_url        = "https://token.actions.githubusercontent.com"
    audience          = "sts.amazonaws.com"
    subjects          = ["repo:octo/demo:environment:dev"]
    repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-dev"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    models_bucket_arn = "arn:aws:s3:::demo-dev-models-123456789012"
    state_bucket      = "demo-terraform-state"
    state_key         = "demo/dev.tfstate"
    target            = "ecs_service"
  }

  # Marks the ECS document, so the policy made from it is recognisable.
  override_data {
    target = data.aws_iam_policy_document.ecs_service
    values = { json = "{\"Version\":\"2012-10-17\",\"Id\":\"ecs_service\",\"Statement\":[]}" }
  }

  assert {
    condition = alltrue([for d in [
      data.aws_iam_policy_document.deploy, data.aws_iam_policy_document.plan_read, data.aws_iam_policy_document.apply_shared,
      data.aws_iam_policy_document.apply_network, data.aws_iam_policy_document.ecs_service,
      data.aws_iam_policy_document.scheduled_task, data.aws_iam_policy_document.sagemaker_endpoint,
      data.aws_iam_policy_document.eks_cluster,
    ] : alltrue([for s in d.statement : alltrue([for a in s.actions : a != "*" && !endswith(a, ":*")])])])
    error_message = "no statement grants every action, or every action of a service"
  }
  assert {
    condition = alltrue([for d in [
      data.aws_iam_policy_document.deploy, data.aws_iam_policy_document.plan_read, data.aws_iam_policy_document.apply_shared,
      data.aws_iam_policy_document.apply_network, data.aws_iam_policy_document.ecs_service,
      data.aws_iam_policy_document.scheduled_task, data.aws_iam_policy_document.sagemaker_endpoint,
      data.aws_iam_policy_document.eks_cluster,
      ] : alltrue([for s in d.statement : !contains(s.resources, "*") || contains([
        "RegistryLogin", "RegisterTaskDefinitions", "DeregisterTaskDefinitions", "ReadUnscoped",
        "ManageAlarmSubscription", "ManageLogDeliveryPolicy",
    ], s.sid)])])
    error_message = "only calls IAM cannot scope to a resource are granted on *"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.apply_shared.statement :
      s.sid == "ManageStackRoles" && length(setintersection(s.actions, ["iam:CreateRole", "iam:PutRolePolicy", "iam:DeleteRole"])) == 3
    && toset(s.resources) == toset(["arn:aws:iam::123456789012:role/demo-dev-*"])])
    error_message = "apply creates, changes and deletes the roles named demo-dev-* and no other"
  }
  assert {
    condition = anytrue([for s in data.aws_iam_policy_document.apply_shared.statement :
      s.effect == "Deny" && contains(s.resources, aws_iam_role.deploy.arn)
    && length(setintersection(s.actions, ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PassRole", "iam:UpdateAssumeRolePolicy"])) == 4])
    error_message = "the role cannot change its own permissions or trust, nor pass itself"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.apply_network.statement :
      anytrue([for c in s.condition : contains(["aws:RequestTag/Stack", "aws:ResourceTag/Stack"], c.variable) && toset(c.values) == toset(["demo-dev"])])
      || anytrue([for c in s.condition : c.variable == "ec2:CreateAction"])
    || alltrue([for r in s.resources : endswith(r, ":security-group-rule/*")])])
    error_message = "the network is created and changed only where the Stack tag is demo-dev (or tagged at creation)"
  }
  assert {
    condition = alltrue([for d in [data.aws_iam_policy_document.plan_read, data.aws_iam_policy_document.apply_shared, data.aws_iam_policy_document.ecs_service] :
      alltrue([for s in d.statement : s.effect == "Deny" || alltrue([for r in s.resources :
    r == "*" || strcontains(r, "demo-dev") || r == "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" || endswith(r, ":role/aws-service-role/*") || endswith(r, ":scalable-target/*") || endswith(r, ":oidc-provider/token.actions.githubusercontent.com")])])])
    error_message = "apply writes resources named after demo-dev, its key, scalable targets and service-linked roles only"
  }
  assert {
    condition = alltrue([for d in [
      data.aws_iam_policy_document.deploy, data.aws_iam_policy_document.plan_read, data.aws_iam_policy_document.apply_shared,
      data.aws_iam_policy_document.apply_network, data.aws_iam_policy_document.ecs_service,
      data.aws_iam_policy_document.scheduled_task, data.aws_iam_policy_document.sagemaker_endpoint,
      data.aws_iam_policy_document.eks_cluster,
      ] : alltrue([for s in d.statement : s.effect == "Deny" || length(setintersection(s.actions, [
        "s3:DeleteBucket", "ecr:DeleteRepository", "kms:ScheduleKeyDeletion", "kms:CreateKey",
        "iam:CreateOpenIDConnectProvider", "iam:DeleteOpenIDConnectProvider", "iam:CreatePolicy", "iam:CreateUser",
    ])) == 0])])
    error_message = "CI neither deletes the data stores nor creates keys, OIDC providers, policies or users"
  }
  assert {
    condition = alltrue([for s in data.aws_iam_policy_document.eks_cluster.statement :
      !contains(s.actions, "iam:AttachRolePolicy") || alltrue([for c in s.condition : c.variable == "iam:PolicyARN"
    && !contains(c.values, "arn:aws:iam::aws:policy/AdministratorAccess")])])
    error_message = "only AWS's EKS-related managed policies can be attached to the stack's roles"
  }
  assert {
    condition = (jsondecode(aws_iam_policy.apply_target.policy).Id == "ecs_service"
      && toset(keys(aws_iam_role_policy_attachment.apply)) == toset(["read", "shared", "network", "target"])
    && aws_iam_policy.apply_network[0].name == "demo-dev-ci-apply-network")
    error_message = "an ECS project's role gets the read, shared, network and ECS service policies"
  }
  # A conservative size: the statements as Terraform holds them are longer than their JSON.
  assert {
    condition = alltrue([for d in [
      data.aws_iam_policy_document.plan_read, data.aws_iam_policy_document.apply_shared,
      data.aws_iam_policy_document.apply_network, data.aws_iam_policy_document.ecs_service,
      data.aws_iam_policy_document.scheduled_task,
      data.aws_iam_policy_document.sagemaker_endpoint, data.aws_iam_policy_document.eks_cluster,
    ] : length(jsonencode(d.statement)) < 6144]) && length(jsonencode(data.aws_iam_policy_document.deploy.statement)) < 10240
    error_message = "each managed policy fits IAM's 6,144 characters, the inline one its 10,240"
  }
}

run "ci_role_sagemaker_has_no_network" {
  command = plan

  module {
    source = "./modules/ci_role"
  }

  variables {
    name              = "demo-dev"
    account_id        = "123456789012"
    region            = "eu-west-1"
    issuer_url        = "https://token.actions.githubusercontent.com"
    audience          = "sts.amazonaws.com"
    subjects          = ["repo:octo/demo:environment:dev"]
    repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-dev"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    models_bucket_arn = "arn:aws:s3:::demo-dev-models-123456789012"
    state_bucket      = "demo-terraform-state"
    state_key         = "demo/dev.tfstate"
    target            = "sagemaker_endpoint"
  }

  assert {
    condition     = length(aws_iam_policy.apply_network) == 0 && toset(keys(aws_iam_role_policy_attachment.apply)) == toset(["read", "shared", "target"])
    error_message = "a SageMaker project's role gets no network rights"
  }
}

run "ci_role_rejects_unknown_target" {
  command = plan

  module {
    source = "./modules/ci_role"
  }

  variables {
    name              = "demo-dev"
    account_id        = "123456789012"
    region            = "eu-west-1"
    issuer_url        = "https://token.actions.githubusercontent.com"
    audience          = "sts.amazonaws.com"
    subjects          = ["repo:octo/demo:environment:dev"]
    repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-dev"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    models_bucket_arn = "arn:aws:s3:::demo-dev-models-123456789012"
    state_bucket      = "demo-terraform-state"
    state_key         = "demo/dev.tfstate"
    target            = "lambda"
  }

  expect_failures = [var.target]
}

run "ci_role_reuses_an_existing_provider" {
  command = plan

  module {
    source = "./modules/ci_role"
  }

  variables {
    name              = "demo-prod"
    account_id        = "123456789012"
    region            = "eu-west-1"
    create_provider   = false
    issuer_url        = "https://token.actions.githubusercontent.com"
    audience          = "sts.amazonaws.com"
    subjects          = ["repo:octo/demo:environment:prod"]
    repository_arn    = "arn:aws:ecr:eu-west-1:123456789012:repository/demo-prod"
    kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    models_bucket_arn = "arn:aws:s3:::demo-prod-models-123456789012"
    state_bucket      = "demo-terraform-state"
    state_key         = "demo/prod.tfstate"
    target            = "sagemaker_endpoint"
  }

  assert {
    condition     = length(aws_iam_openid_connect_provider.ci) == 0 && length(data.aws_iam_openid_connect_provider.ci) == 1
    error_message = "create_provider = false looks the provider up instead of creating a second one"
  }
}

# ── Values the root module refuses ──────────────────────────────────────────────────

# Each variable's rule is checked on its own value, so one plan can break many of them:
# the run passes only if every listed rule refused its value.
run "rejects_bad_values" {
  command = plan
  variables {
    environment        = "staging"
    image_tag          = "latest"
    model_uri          = "https://example.com/model.tar.gz"
    project            = "a-project-name-too-long-for-aws"
    min_capacity       = 3
    max_capacity       = 2
    log_retention_days = 45
    alarm_email        = "not-an-address"
    ci_oidc_subjects   = { dev = ["*"], prod = ["repo:octo/demo:environment:prod"] }
    health_check_path  = "health"
  }
  expect_failures = [
    var.environment,
    var.image_tag,
    var.model_uri,
    var.project,
    var.max_capacity,
    var.log_retention_days,
    var.alarm_email,
    var.ci_oidc_subjects,
    var.health_check_path,
  ]
}

run "rejects_other_bad_values" {
  command = plan
  variables {
    image_tag        = ""
    ci_oidc_subjects = { dev = ["repo:octo/demo:environment:dev"] }
  }
  expect_failures = [var.image_tag, var.ci_oidc_subjects]
}
