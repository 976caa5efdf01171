# Pod Identity (the agent, and the service account -> role mappings), Container
# Insights (whose metrics the alarms watch) and the EBS CSI driver.

resource "aws_eks_addon" "pod_identity" {
  count        = var.kubernetes_access ? 1 : 0
  cluster_name = aws_eks_cluster.this.name
  addon_name   = "eks-pod-identity-agent"
}

resource "aws_eks_pod_identity_association" "model" {
  count           = var.kubernetes_access ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = var.namespace
  service_account = var.service_account
  role_arn        = aws_iam_role.model.arn
}

resource "aws_eks_pod_identity_association" "observability" {
  count           = var.kubernetes_access ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "amazon-cloudwatch"
  service_account = "cloudwatch-agent"
  role_arn        = aws_iam_role.observability.arn
}

resource "aws_eks_addon" "observability" {
  count        = var.kubernetes_access ? 1 : 0
  cluster_name = aws_eks_cluster.this.name
  addon_name   = "amazon-cloudwatch-observability"

  # Its agent's log groups exist already (KMS, retention) and it needs nodes to run on.
  depends_on = [aws_cloudwatch_log_group.insights, aws_eks_node_group.this, aws_eks_pod_identity_association.observability]
}

# The groups the agent writes to, created first: encrypted, with a retention.
resource "aws_cloudwatch_log_group" "insights" {
  for_each          = toset(["performance", "application", "dataplane", "host"])
  name              = "/aws/containerinsights/${var.name}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

# The EBS CSI driver provisions volumes (batch scoring's `data` claim, deploy/k8s/overlays/eks).
resource "aws_eks_pod_identity_association" "ebs_csi" {
  count           = var.kubernetes_access ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "kube-system"
  service_account = "ebs-csi-controller-sa"
  role_arn        = aws_iam_role.ebs_csi.arn
}

resource "aws_eks_addon" "ebs_csi" {
  count        = var.kubernetes_access ? 1 : 0
  cluster_name = aws_eks_cluster.this.name
  addon_name   = "aws-ebs-csi-driver"

  depends_on = [aws_eks_node_group.this, aws_eks_pod_identity_association.ebs_csi]
}
