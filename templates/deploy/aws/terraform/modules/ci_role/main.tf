# CI deploys with short-lived credentials: its OIDC token is exchanged for this role, which
# only the listed subjects (this repository's jobs for this environment) can assume.
# - main.tf (inline policy "deploy"): push images, publish models, keep the state, roll the
#   target forward or back.
# - apply.tf, targets.tf (managed policies <name>-ci-*): what `terraform plan` reads and
#   `terraform apply` changes, on this environment's resources only (named <name>-... or
#   tagged Stack = <name>), for the deploy target this project has.
# The role cannot change itself, its OIDC provider or its policies, and cannot delete the
# stores of data (buckets, image repository, key): those changes are a person's
# (make tf-bootstrap, make tf-apply with administrator credentials).

locals {
  issuer_host = trimprefix(var.issuer_url, "https://")
  oidc_provider_arn = (
    var.create_provider
    ? aws_iam_openid_connect_provider.ci[0].arn
    : data.aws_iam_openid_connect_provider.ci[0].arn
  )
  # ARN prefixes of this environment's resources, whatever the target.
  region_account = "${var.region}:${var.account_id}"
  state_arn      = "arn:aws:s3:::${var.state_bucket}"
  # Roles the stack creates: every one is named <name>-..., the CI role included.
  roles_arn = "arn:aws:iam::${var.account_id}:role/${var.name}-*"
}

resource "aws_iam_openid_connect_provider" "ci" {
  count          = var.create_provider ? 1 : 0
  url            = var.issuer_url
  client_id_list = [var.audience]
}

data "aws_iam_openid_connect_provider" "ci" {
  count = var.create_provider ? 0 : 1
  url   = var.issuer_url
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:aud"
      values   = [var.audience]
    }
    condition {
      test     = "StringEquals"
      variable = "${local.issuer_host}:sub"
      values   = var.subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-ci-deploy"
  description          = "CI deploy jobs of ${var.name} (OIDC, ${local.issuer_host})"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "deploy" {
  # ECR issues registry logins account-wide: the action has no resource to scope to.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "PushImages"
    actions = [
      "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
      "ecr:DescribeImageScanFindings", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer",
      "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart",
    ]
    resources = [var.repository_arn]
  }

  statement {
    sid       = "UseProjectKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ListModels"
    actions   = ["s3:ListBucket"]
    resources = [var.models_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["models/*"]
    }
  }

  statement {
    sid       = "PublishModels"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.models_bucket_arn}/models/*"]
  }

  statement {
    sid       = "ListState"
    actions   = ["s3:ListBucket"]
    resources = [local.state_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.state_key}*"]
    }
  }

  statement {
    sid       = "ReadWriteStateAndLock"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.state_arn}/${var.state_key}", "${local.state_arn}/${var.state_key}.tflock"]
  }

  # The target's update calls, on resources named after this environment only (ECS with
  # CodeDeploy, SageMaker endpoint, EKS cluster, scheduled task: whichever exists).
  statement {
    sid = "RollTarget"
    actions = [
      "ecs:DescribeServices", "ecs:UpdateService",
      "codedeploy:CreateDeployment", "codedeploy:GetApplicationRevision", "codedeploy:GetDeployment",
      "codedeploy:GetDeploymentConfig", "codedeploy:RegisterApplicationRevision", "codedeploy:StopDeployment",
      "sagemaker:CreateEndpointConfig", "sagemaker:CreateModel", "sagemaker:DescribeEndpoint",
      "sagemaker:DescribeEndpointConfig", "sagemaker:DescribeModel", "sagemaker:UpdateEndpoint",
      "eks:DescribeCluster",
      "scheduler:GetSchedule", "scheduler:UpdateSchedule",
      "cloudwatch:DescribeAlarms",
    ]
    resources = [
      "arn:aws:ecs:${local.region_account}:service/${var.name}*/${var.name}*",
      "arn:aws:codedeploy:${local.region_account}:application:${var.name}*",
      "arn:aws:codedeploy:${local.region_account}:deploymentgroup:${var.name}*/*",
      "arn:aws:codedeploy:${local.region_account}:deploymentconfig:*",
      "arn:aws:sagemaker:${local.region_account}:model/${var.name}*",
      "arn:aws:sagemaker:${local.region_account}:endpoint-config/${var.name}*",
      "arn:aws:sagemaker:${local.region_account}:endpoint/${var.name}*",
      "arn:aws:eks:${local.region_account}:cluster/${var.name}*",
      "arn:aws:scheduler:${local.region_account}:schedule/default/${var.name}*",
      "arn:aws:cloudwatch:${local.region_account}:alarm:${var.name}*",
    ]
  }

  # Task definitions are registered and read by family; IAM offers no narrower resource.
  statement {
    sid       = "RegisterTaskDefinitions"
    actions   = ["ecs:DescribeTaskDefinition", "ecs:RegisterTaskDefinition"]
    resources = ["*"]
  }

  # A task definition, endpoint config, schedule, deployment group, cluster, node group,
  # Pod Identity association or flow log names one of the stack's roles: only those (named
  # <name>-..., the CI role excepted by apply.tf's deny), to the services that use them.
  statement {
    sid       = "PassStackRoles"
    actions   = ["iam:PassRole"]
    resources = [local.roles_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values = [
        "ecs-tasks.amazonaws.com", "sagemaker.amazonaws.com", "scheduler.amazonaws.com",
        "codedeploy.amazonaws.com", "eks.amazonaws.com", "pods.eks.amazonaws.com",
        "vpc-flow-logs.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
