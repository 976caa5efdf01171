# What `terraform plan` reads and `terraform apply` changes in the resources every target
# shares (registry, buckets, key, alarm topic, budget, roles, log groups, alarms) and in
# the network. A managed policy holds at most 6,144 characters (tests/core.tftest.hcl checks),
# hence four of them; the role's inline policies share 10,240, which main.tf's already uses.
#
# Scoping: by name where the ARN holds one (<name>-...), by the Stack tag where it does not
# (EC2: providers.tf tags every resource Stack = <name>), on "*" only for what AWS does
# not scope by resource (Describe and List calls, account-level settings).

locals {
  ci_policy_arns   = "arn:aws:iam::${var.account_id}:policy/${var.name}-ci-*"
  ec2              = "arn:aws:ec2:${local.region_account}"
  stack_tag        = "aws:ResourceTag/Stack"
  stack_tag_on_new = "aws:RequestTag/Stack"
  # Log groups of every target: /ecs/<name>, /vpc/<name>/flow-logs, /aws/eks/<name>/cluster...
  log_groups = [for prefix in ["/ecs/", "/vpc/", "/aws/sagemaker/Endpoints/", "/aws/eks/", "/aws/containerinsights/", "/aws/events/"] :
  "arn:aws:logs:${local.region_account}:log-group:${prefix}${var.name}*"]
}

data "aws_iam_policy_document" "plan_read" {
  # Refresh of what AWS lists or describes account-wide: these calls take no resource.
  statement {
    sid = "ReadUnscoped"
    actions = [
      "application-autoscaling:DescribeScalableTargets", "application-autoscaling:DescribeScalingPolicies",
      "ec2:DescribeAddresses", "ec2:DescribeAddressesAttribute", "ec2:DescribeAvailabilityZones",
      "ec2:DescribeFlowLogs", "ec2:DescribeInternetGateways", "ec2:DescribeLaunchTemplateVersions",
      "ec2:DescribeLaunchTemplates", "ec2:DescribeNatGateways", "ec2:DescribeNetworkAcls",
      "ec2:DescribeNetworkInterfaces", "ec2:DescribePrefixLists", "ec2:DescribeRouteTables",
      "ec2:DescribeSecurityGroupRules", "ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
      "ec2:DescribeTags", "ec2:DescribeVpcEndpointServices", "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcs",
      "ecs:DescribeTaskDefinition", "eks:DescribeAddonVersions",
      "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeLoadBalancerAttributes", "elasticloadbalancing:DescribeLoadBalancers",
      "elasticloadbalancing:DescribeRules", "elasticloadbalancing:DescribeTags",
      "elasticloadbalancing:DescribeTargetGroupAttributes", "elasticloadbalancing:DescribeTargetGroups",
      "elasticloadbalancing:DescribeTargetHealth",
      "iam:ListOpenIDConnectProviders", "kms:ListAliases",
      "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
    ]
    resources = ["*"]
  }

  # Plan refreshes the CI role's own pieces; only a person changes them (DenyChangingItself).
  statement {
    sid = "ReadOwnPolicies"
    actions = [
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags",
      "iam:GetOpenIDConnectProvider",
    ]
    resources = [local.ci_policy_arns, "arn:aws:iam::${var.account_id}:oidc-provider/${local.issuer_host}"]
  }
}

data "aws_iam_policy_document" "apply_shared" {
  # The repository is created by make tf-bootstrap; CI keeps its settings, never deletes it.
  statement {
    sid = "ManageRegistry"
    actions = [
      "ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:TagResource",
      "ecr:UntagResource", "ecr:GetLifecyclePolicy", "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
      "ecr:PutImageTagMutability", "ecr:PutImageScanningConfiguration",
    ]
    resources = ["arn:aws:ecr:${local.region_account}:repository/${var.name}"]
  }

  # The lake, models and access-log buckets (<name>-<purpose>-<account>): their settings,
  # not their objects, and no s3:DeleteBucket (the data stays unless a person removes it).
  statement {
    sid = "ManageBuckets"
    actions = [
      "s3:CreateBucket", "s3:ListBucket", "s3:GetBucket*", "s3:GetAccelerateConfiguration",
      "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration",
      "s3:PutBucketTagging", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketOwnershipControls",
      "s3:PutBucketPublicAccessBlock", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
      "s3:PutLifecycleConfiguration", "s3:PutBucketLogging", "s3:PutBucketNotification",
    ]
    resources = ["arn:aws:s3:::${var.name}-*"]
  }

  # The project key: its policy, rotation and tags; no deletion (it decrypts every bucket).
  statement {
    sid = "ManageProjectKey"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
      "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:TagResource", "kms:UntagResource",
    ]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "ManageKeyAlias"
    actions   = ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"]
    resources = ["arn:aws:kms:${local.region_account}:alias/${var.name}", var.kms_key_arn]
  }

  # ECR, EKS and SageMaker take a grant on the key for the resource they encrypt with it.
  statement {
    sid       = "GrantKeyToServices"
    actions   = ["kms:CreateGrant", "kms:ListGrants"]
    resources = [var.kms_key_arn]
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }

  statement {
    sid = "ManageAlarmTopic"
    actions = [
      "sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
      "sns:ListTagsForResource", "sns:TagResource", "sns:UntagResource", "sns:Subscribe", "sns:ListSubscriptionsByTopic",
    ]
    resources = ["arn:aws:sns:${local.region_account}:${var.name}-*"]
  }

  # A subscription is read and removed by its own ARN, which IAM does not scope.
  statement {
    sid       = "ManageAlarmSubscription"
    actions   = ["sns:GetSubscriptionAttributes", "sns:SetSubscriptionAttributes", "sns:Unsubscribe"]
    resources = ["*"]
  }

  statement {
    sid = "ManageBudget"
    actions = [
      "budgets:ModifyBudget", "budgets:ViewBudget", "budgets:ListTagsForResource", "budgets:TagResource",
      "budgets:UntagResource",
    ]
    resources = ["arn:aws:budgets::${var.account_id}:budget/${var.name}-*"]
  }

  # The target's roles (<name>-execution, <name>-task, <name>-sm-..., ...) and their inline
  # policies. Managed policies are attached by targets.tf, AWS's named ones only.
  statement {
    sid = "ManageStackRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
      "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
    ]
    resources = [local.roles_arn]
  }

  # Otherwise the role could grant itself anything (it is named <name>-... too).
  statement {
    sid    = "DenyChangingItself"
    effect = "Deny"
    actions = [
      "iam:AttachRolePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion",
      "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary", "iam:DeleteRolePolicy", "iam:DetachRolePolicy",
      "iam:PassRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:SetDefaultPolicyVersion",
      "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole",
    ]
    resources = [aws_iam_role.deploy.arn, local.ci_policy_arns]
  }

  statement {
    sid = "ManageLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
      "logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
      "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup",
    ]
    resources = local.log_groups
  }

  # The target's alarms, and those target tracking creates with the caller's rights.
  statement {
    sid = "ManageAlarms"
    actions = [
      "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
      "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
    ]
    resources = [
      "arn:aws:cloudwatch:${local.region_account}:alarm:${var.name}-*",
      "arn:aws:cloudwatch:${local.region_account}:alarm:TargetTracking-service/${var.name}/*",
      "arn:aws:cloudwatch:${local.region_account}:alarm:TargetTracking-endpoint/${var.name}/*",
    ]
  }
}

# ── Network (ecs, eks, schedule): EC2 ARNs hold no name, so the Stack tag scopes them ──

locals {
  # Create calls whose new resource carries the tags of the request (TagSpecifications).
  ec2_creates = [
    "ec2:AllocateAddress", "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress",
    "ec2:CreateFlowLogs", "ec2:CreateInternetGateway", "ec2:CreateLaunchTemplate", "ec2:CreateNatGateway",
    "ec2:CreateRouteTable", "ec2:CreateSecurityGroup", "ec2:CreateSubnet", "ec2:CreateVpc", "ec2:CreateVpcEndpoint",
  ]
}

data "aws_iam_policy_document" "apply_network" {
  statement {
    sid     = "CreateTaggedNetwork"
    actions = local.ec2_creates
    resources = [for type in [
      "elastic-ip", "internet-gateway", "launch-template", "natgateway", "route-table", "security-group",
      "security-group-rule", "subnet", "vpc", "vpc-endpoint", "vpc-flow-log",
    ] : "${local.ec2}:${type}/*"]
    condition {
      test     = "StringEquals"
      variable = local.stack_tag_on_new
      values   = [var.name]
    }
  }

  # Tags go on with the create call only: no other resource can be tagged into the stack.
  statement {
    sid       = "TagOnCreate"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:*/*"]
    condition {
      test     = "StringEquals"
      variable = "ec2:CreateAction"
      values   = [for action in local.ec2_creates : trimprefix(action, "ec2:")]
    }
  }

  # Changes to the stack's own network, and creates inside it (a subnet in its VPC).
  statement {
    sid = "ManageOwnNetwork"
    actions = concat(local.ec2_creates, [
      "ec2:DescribeVpcAttribute", "ec2:AssociateRouteTable", "ec2:AttachInternetGateway", "ec2:CreateLaunchTemplateVersion",
      "ec2:CreateRoute", "ec2:CreateTags", "ec2:DeleteFlowLogs", "ec2:DeleteInternetGateway",
      "ec2:DeleteLaunchTemplate", "ec2:DeleteLaunchTemplateVersions", "ec2:DeleteNatGateway", "ec2:DeleteRoute",
      "ec2:DeleteRouteTable", "ec2:DeleteSecurityGroup", "ec2:DeleteSubnet", "ec2:DeleteTags", "ec2:DeleteVpc",
      "ec2:DeleteVpcEndpoints", "ec2:DetachInternetGateway", "ec2:DisassociateAddress", "ec2:DisassociateRouteTable",
      "ec2:ModifyLaunchTemplate", "ec2:ModifySecurityGroupRules", "ec2:ModifySubnetAttribute",
      "ec2:ModifyVpcAttribute", "ec2:ModifyVpcEndpoint", "ec2:ReleaseAddress", "ec2:ReplaceRoute",
      "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
      "ec2:UpdateSecurityGroupRuleDescriptionsEgress", "ec2:UpdateSecurityGroupRuleDescriptionsIngress",
    ])
    resources = ["${local.ec2}:*"]
    condition {
      test     = "StringEquals"
      variable = local.stack_tag
      values   = [var.name]
    }
  }

  # A rule's own ARN: inline rules are untagged, and the call still needs their group's
  # permission (ManageOwnNetwork), so this adds no reach.
  statement {
    sid = "ChangeOwnGroupRules"
    actions = [
      "ec2:AuthorizeSecurityGroupEgress", "ec2:AuthorizeSecurityGroupIngress", "ec2:ModifySecurityGroupRules",
      "ec2:RevokeSecurityGroupEgress", "ec2:RevokeSecurityGroupIngress",
    ]
    resources = ["${local.ec2}:security-group-rule/*"]
  }

  # aws_default_security_group adopts the group AWS made with the VPC, untagged: it tags it
  # first, then empties it under ManageOwnNetwork. Only a group with no Stack tag qualifies.
  statement {
    sid       = "AdoptDefaultSecurityGroup"
    actions   = ["ec2:CreateTags"]
    resources = ["${local.ec2}:security-group/*"]
    condition {
      test     = "StringEquals"
      variable = local.stack_tag_on_new
      values   = [var.name]
    }
    condition {
      test     = "Null"
      variable = local.stack_tag
      values   = ["true"]
    }
  }
}

resource "aws_iam_policy" "plan_read" {
  name        = "${var.name}-ci-plan-read"
  description = "CI of ${var.name}: what terraform plan reads that IAM does not scope by resource"
  policy      = data.aws_iam_policy_document.plan_read.json
}

resource "aws_iam_policy" "apply_shared" {
  name        = "${var.name}-ci-apply-shared"
  description = "CI of ${var.name}: plan and apply the registry, buckets, key, alarms, roles and logs"
  policy      = data.aws_iam_policy_document.apply_shared.json
}

resource "aws_iam_policy" "apply_network" {
  count       = local.target.network ? 1 : 0
  name        = "${var.name}-ci-apply-network"
  description = "CI of ${var.name}: plan and apply the VPC (resources tagged Stack = ${var.name})"
  policy      = data.aws_iam_policy_document.apply_network.json
}

resource "aws_iam_role_policy_attachment" "apply" {
  for_each = merge(
    { read = aws_iam_policy.plan_read.arn, shared = aws_iam_policy.apply_shared.arn, target = aws_iam_policy.apply_target.arn },
    local.target.network ? { network = aws_iam_policy.apply_network[0].arn } : {},
  )
  role       = aws_iam_role.deploy.name
  policy_arn = each.value
}
