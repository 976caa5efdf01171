# What plan and apply need for the deploy target this project has (var.target): one of
# the four documents below becomes the managed policy <name>-ci-apply-target.

locals {
  targets = {
    ecs_service        = { network = true, policy = data.aws_iam_policy_document.ecs_service.json }
    scheduled_task     = { network = true, policy = data.aws_iam_policy_document.scheduled_task.json }
    sagemaker_endpoint = { network = false, policy = data.aws_iam_policy_document.sagemaker_endpoint.json }
    eks_cluster        = { network = true, policy = data.aws_iam_policy_document.eks_cluster.json }
  }
  target = local.targets[var.target]

  service_linked_roles = "arn:aws:iam::${var.account_id}:role/aws-service-role/*"
  scalable_targets     = "arn:aws:application-autoscaling:${local.region_account}:scalable-target/*"
  ecs                  = "arn:aws:ecs:${local.region_account}"
  elb                  = "arn:aws:elasticloadbalancing:${local.region_account}"
}

# ── ECS service behind a load balancer, rolled out by CodeDeploy ──────────────────────

data "aws_iam_policy_document" "ecs_service" {
  statement {
    sid = "ManageEcsService"
    actions = [
      "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateCluster",
      "ecs:UpdateClusterSettings", "ecs:CreateService", "ecs:DeleteService", "ecs:DescribeServices",
      "ecs:UpdateService", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource",
    ]
    resources = [
      "${local.ecs}:cluster/${var.name}", "${local.ecs}:service/${var.name}/${var.name}",
      "${local.ecs}:task-definition/${var.name}:*",
    ]
  }

  # Task definitions are registered (main.tf's RegisterTaskDefinitions) and deregistered by
  # family and revision, which IAM does not scope.
  statement {
    sid       = "DeregisterTaskDefinitions"
    actions   = ["ecs:DeregisterTaskDefinition"]
    resources = ["*"]
  }

  # The load balancer, its listeners and the blue and green target groups (<name>-...).
  statement {
    sid = "ManageLoadBalancer"
    actions = [
      "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:DeleteLoadBalancer",
      "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets", "elasticloadbalancing:CreateTargetGroup",
      "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:ModifyTargetGroup",
      "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:DeleteListener", "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:AddTags",
      "elasticloadbalancing:RemoveTags",
    ]
    resources = [
      "${local.elb}:loadbalancer/app/${var.name}/*", "${local.elb}:targetgroup/${var.name}-*/*",
      "${local.elb}:listener/app/${var.name}/*", "${local.elb}:listener-rule/app/${var.name}/*",
    ]
  }

  statement {
    sid = "ManageCodeDeploy"
    actions = [
      "codedeploy:CreateApplication", "codedeploy:DeleteApplication", "codedeploy:GetApplication",
      "codedeploy:UpdateApplication", "codedeploy:CreateDeploymentGroup", "codedeploy:DeleteDeploymentGroup",
      "codedeploy:GetDeploymentGroup", "codedeploy:UpdateDeploymentGroup", "codedeploy:ListTagsForResource",
      "codedeploy:TagResource", "codedeploy:UntagResource",
    ]
    resources = [
      "arn:aws:codedeploy:${local.region_account}:application:${var.name}",
      "arn:aws:codedeploy:${local.region_account}:deploymentgroup:${var.name}/*",
    ]
  }

  # Scalable targets are named by a random id: the ECS namespace is what scopes them.
  statement {
    sid = "ScaleEcsServices"
    actions = [
      "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
    ]
    resources = [local.scalable_targets]
    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["ecs"]
    }
  }

  statement {
    sid = "TagScalableTargets"
    actions = [
      "application-autoscaling:ListTagsForResource", "application-autoscaling:TagResource",
      "application-autoscaling:UntagResource",
    ]
    resources = [local.scalable_targets]
  }

  # First use in an account: the roles ECS, the load balancer and autoscaling act with.
  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = [local.service_linked_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com", "ecs.application-autoscaling.amazonaws.com"]
    }
  }
}

# ── Scheduled ECS task (EventBridge Scheduler) ────────────────────────────────────────

data "aws_iam_policy_document" "scheduled_task" {
  statement {
    sid = "ManageEcsCluster"
    actions = [
      "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeClusters", "ecs:UpdateCluster",
      "ecs:UpdateClusterSettings", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource",
    ]
    resources = ["${local.ecs}:cluster/${var.name}", "${local.ecs}:task-definition/${var.name}-*:*"]
  }

  # Deregistered by family and revision, which IAM does not scope.
  statement {
    sid       = "DeregisterTaskDefinitions"
    actions   = ["ecs:DeregisterTaskDefinition"]
    resources = ["*"]
  }

  statement {
    sid = "ManageSchedule"
    actions = [
      "scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule", "scheduler:UpdateSchedule",
    ]
    resources = ["arn:aws:scheduler:${local.region_account}:schedule/default/${var.name}-*"]
  }

  statement {
    sid = "ManageDeadLetterQueue"
    actions = [
      "sqs:CreateQueue", "sqs:DeleteQueue", "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes",
      "sqs:ListQueueTags", "sqs:TagQueue", "sqs:UntagQueue",
    ]
    resources = ["arn:aws:sqs:${local.region_account}:${var.name}-*"]
  }

  statement {
    sid = "ManageFailedRunRule"
    actions = [
      "events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
      "events:ListTargetsByRule", "events:ListTagsForResource", "events:TagResource", "events:UntagResource",
    ]
    resources = ["arn:aws:events:${local.region_account}:rule/${var.name}-*"]
  }

  # The log group's resource policy admitting EventBridge: an account-level setting that
  # IAM does not scope by resource.
  statement {
    sid       = "ManageLogDeliveryPolicy"
    actions   = ["logs:PutResourcePolicy", "logs:DeleteResourcePolicy"]
    resources = ["*"]
  }

  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = [local.service_linked_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["ecs.amazonaws.com"]
    }
  }
}

# ── SageMaker real-time endpoint ──────────────────────────────────────────────────────

data "aws_iam_policy_document" "sagemaker_endpoint" {
  # Models and endpoint configurations are <name>-<suffix>; the endpoint is <name>.
  statement {
    sid = "ManageEndpoint"
    actions = [
      "sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:DescribeModel",
      "sagemaker:CreateEndpointConfig", "sagemaker:DeleteEndpointConfig", "sagemaker:DescribeEndpointConfig",
      "sagemaker:CreateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint",
      "sagemaker:UpdateEndpoint", "sagemaker:UpdateEndpointWeightsAndCapacities",
      "sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags",
    ]
    resources = [
      "arn:aws:sagemaker:${local.region_account}:model/${var.name}-*",
      "arn:aws:sagemaker:${local.region_account}:endpoint-config/${var.name}-*",
      "arn:aws:sagemaker:${local.region_account}:endpoint/${var.name}",
    ]
  }

  # Scalable targets are named by a random id: the SageMaker namespace is what scopes them.
  statement {
    sid = "ScaleEndpoints"
    actions = [
      "application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
      "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
    ]
    resources = [local.scalable_targets]
    condition {
      test     = "StringEquals"
      variable = "application-autoscaling:service-namespace"
      values   = ["sagemaker"]
    }
  }

  statement {
    sid = "TagScalableTargets"
    actions = [
      "application-autoscaling:ListTagsForResource", "application-autoscaling:TagResource",
      "application-autoscaling:UntagResource",
    ]
    resources = [local.scalable_targets]
  }

  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = [local.service_linked_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["sagemaker.application-autoscaling.amazonaws.com"]
    }
  }
}

# ── EKS cluster, node group, add-ons, Pod Identity ────────────────────────────────────

data "aws_iam_policy_document" "eks_cluster" {
  statement {
    sid = "ManageCluster"
    actions = [
      "eks:CreateCluster", "eks:DeleteCluster", "eks:DescribeCluster", "eks:DescribeUpdate",
      "eks:UpdateClusterConfig", "eks:UpdateClusterVersion", "eks:ListTagsForResource", "eks:TagResource",
      "eks:UntagResource", "eks:CreateNodegroup", "eks:DeleteNodegroup", "eks:DescribeNodegroup",
      "eks:UpdateNodegroupConfig", "eks:UpdateNodegroupVersion", "eks:CreateAddon", "eks:DeleteAddon",
      "eks:DescribeAddon", "eks:UpdateAddon", "eks:CreatePodIdentityAssociation",
      "eks:DeletePodIdentityAssociation", "eks:DescribePodIdentityAssociation",
      "eks:UpdatePodIdentityAssociation", "eks:DescribeAccessEntry", "eks:DeleteAccessEntry",
      "eks:ListAssociatedAccessPolicies", "eks:DisassociateAccessPolicy",
    ]
    resources = [for type in ["cluster", "nodegroup", "addon", "podidentityassociation", "access-entry"] :
    "arn:aws:eks:${local.region_account}:${type}/${var.name}${type == "cluster" ? "" : "/*"}"]
  }

  # The cluster's only access entry is this role's own (modules/eks_cluster): no other
  # principal can be let into the cluster.
  statement {
    sid       = "CreateOwnAccessEntry"
    actions   = ["eks:CreateAccessEntry"]
    resources = ["arn:aws:eks:${local.region_account}:cluster/${var.name}"]
    condition {
      test     = "ArnEquals"
      variable = "eks:principalArn"
      values   = [aws_iam_role.deploy.arn]
    }
  }

  statement {
    sid       = "ManageOwnAccessEntry"
    actions   = ["eks:AssociateAccessPolicy", "eks:UpdateAccessEntry"]
    resources = ["arn:aws:eks:${local.region_account}:access-entry/${var.name}/role/${var.account_id}/${aws_iam_role.deploy.name}/*"]
  }

  # The AWS managed policies the cluster, node, Container Insights and EBS CSI roles use;
  # no other policy (AdministratorAccess...) can be attached to the stack's roles.
  statement {
    sid       = "AttachEksManagedPolicies"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = [local.roles_arn]
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values = [for policy in [
        "AmazonEKSClusterPolicy", "AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryPullOnly", "CloudWatchAgentServerPolicy", "service-role/AmazonEBSCSIDriverPolicy",
      ] : "arn:aws:iam::aws:policy/${policy}"]
    }
  }

  statement {
    sid       = "CreateServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = [local.service_linked_roles]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values   = ["eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "autoscaling.amazonaws.com"]
    }
  }
}

resource "aws_iam_policy" "apply_target" {
  name        = "${var.name}-ci-apply-target"
  description = "CI of ${var.name}: plan and apply the ${var.target} deploy target"
  policy      = local.target.policy
}
