# Roles: the control plane, the nodes, the model pods (Pod Identity) and the Container
# Insights agent. No static keys anywhere.

data "aws_iam_policy_document" "eks_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name_prefix        = "${substr(var.name, 0, 28)}-cluster-"
  assume_role_policy = data.aws_iam_policy_document.eks_assume.json
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "${local.policy}/AmazonEKSClusterPolicy"
}

# Envelope encryption of the Kubernetes secrets with the project key.
data "aws_iam_policy_document" "cluster_kms" {
  statement {
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "cluster_kms" {
  name   = "secrets-encryption"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_kms.json
}

data "aws_iam_policy_document" "node_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name_prefix        = "${substr(var.name, 0, 30)}-node-"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json
}

# Join the cluster, run the VPC CNI, pull images: the project's and the add-ons' (which
# live in AWS-owned registries, one per region, hence pull-only on any repository).
resource "aws_iam_role_policy_attachment" "node" {
  for_each   = toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"])
  role       = aws_iam_role.node.name
  policy_arn = "${local.policy}/${each.value}"
}

data "aws_iam_policy_document" "pods_assume" {
  statement {
    actions = ["sts:AssumeRole", "sts:TagSession"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}

# The model pods' role: read the bundles (MODEL_URI=s3://...), nothing else.
resource "aws_iam_role" "model" {
  name_prefix        = "${substr(var.name, 0, 29)}-model-"
  assume_role_policy = data.aws_iam_policy_document.pods_assume.json
}

data "aws_iam_policy_document" "model" {
  statement {
    sid       = "ReadBundles"
    actions   = ["s3:GetObject"]
    resources = ["${var.models_bucket_arn}/${var.model_prefix}*"]
  }
  statement {
    sid       = "ListBundles"
    actions   = ["s3:ListBucket"]
    resources = [var.models_bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.model_prefix}*"]
    }
  }
  statement {
    sid       = "DecryptBundles"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "model" {
  name   = "read-models"
  role   = aws_iam_role.model.id
  policy = data.aws_iam_policy_document.model.json
}

# The Container Insights agent (amazon-cloudwatch-observability add-on) writes metrics and logs.
resource "aws_iam_role" "observability" {
  name_prefix        = "${substr(var.name, 0, 26)}-insights-"
  assume_role_policy = data.aws_iam_policy_document.pods_assume.json
}

resource "aws_iam_role_policy_attachment" "observability" {
  role       = aws_iam_role.observability.name
  policy_arn = "${local.policy}/CloudWatchAgentServerPolicy"
}

# The EBS CSI driver's controller creates and attaches the volumes claims ask for.
resource "aws_iam_role" "ebs_csi" {
  name_prefix        = "${substr(var.name, 0, 27)}-ebs-csi-"
  assume_role_policy = data.aws_iam_policy_document.pods_assume.json
}

resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "${local.policy}/service-role/AmazonEBSCSIDriverPolicy"
}
