# An EKS cluster for the deploy/k8s manifests: private control plane (public only for the
# listed CI addresses), secrets encrypted with the project key, every control-plane log
# type kept, one managed node group in the private subnets. Kubernetes objects are not
# Terraform's: CI applies deploy/k8s/overlays/eks with kubectl (see its kustomization).

data "aws_partition" "current" {}

locals {
  policy = "arn:${data.aws_partition.current.partition}:iam::aws:policy"
}

resource "aws_cloudwatch_log_group" "cluster" {
  # The name EKS writes its control-plane logs to; created first for retention and KMS.
  name              = "/aws/eks/${var.name}/cluster"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_eks_cluster" "this" {
  name     = var.name
  version  = var.kubernetes_version
  role_arn = aws_iam_role.cluster.arn

  vpc_config {
    subnet_ids              = var.subnet_ids
    endpoint_private_access = true
    endpoint_public_access  = length(var.public_access_cidrs) > 0
    public_access_cidrs     = length(var.public_access_cidrs) > 0 ? var.public_access_cidrs : null
  }

  # Access entries only (no aws-auth ConfigMap): who may call the API is Terraform's.
  access_config {
    authentication_mode                         = "API"
    bootstrap_cluster_creator_admin_permissions = true
  }

  encryption_config {
    resources = ["secrets"]
    provider {
      key_arn = var.kms_key_arn
    }
  }

  enabled_cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  depends_on = [
    aws_cloudwatch_log_group.cluster,
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_kms,
  ]
}

# IMDSv2 with one hop: a pod cannot borrow the node's role; it gets its own (Pod Identity).
resource "aws_launch_template" "nodes" {
  name_prefix            = "${var.name}-nodes-"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 40
      volume_type = "gp3"
      encrypted   = true
    }
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = "${var.name}-node" }
  }
}

resource "aws_eks_node_group" "this" {
  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${var.name}-nodes"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  ami_type        = "AL2023_x86_64_STANDARD"
  capacity_type   = "ON_DEMAND"
  instance_types  = var.instance_types

  # Managed node groups accept min 0: dev can run no node at all (`aws eks
  # update-nodegroup-config --scaling-config desiredSize=0`); it starts with one.
  scaling_config {
    min_size     = var.min_capacity
    max_size     = max(var.max_capacity, var.min_capacity, 1)
    desired_size = max(var.min_capacity, 1)
  }

  update_config {
    max_unavailable = 1
  }

  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }

  lifecycle {
    # Scaled by hand or by a cluster autoscaler between applies: not reset by Terraform.
    ignore_changes = [scaling_config[0].desired_size]
  }

  depends_on = [aws_iam_role_policy_attachment.node]
}

# The CI deploy role applies the overlay: it includes the project's Namespace (cluster-scoped,
# with its Pod Security labels), which only a cluster-scoped policy may create.
resource "aws_eks_access_entry" "ci" {
  count         = var.kubernetes_access ? 1 : 0
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = var.ci_role_arn
  type          = "STANDARD"
}

resource "aws_eks_access_policy_association" "ci" {
  count         = var.kubernetes_access ? 1 : 0
  cluster_name  = aws_eks_cluster.this.name
  principal_arn = aws_eks_access_entry.ci[0].principal_arn
  policy_arn    = "arn:${data.aws_partition.current.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"

  access_scope {
    type = "cluster"
  }
}
