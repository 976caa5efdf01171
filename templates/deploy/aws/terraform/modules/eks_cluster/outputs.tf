output "endpoint" {
  description = "Cluster name (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "Cluster ARN."
  value       = aws_eks_cluster.this.arn
}

output "node_group" {
  description = "Managed node group name (scale dev to 0 with aws eks update-nodegroup-config)."
  value       = aws_eks_node_group.this.node_group_name
}

output "model_role_arn" {
  description = "Role the model pods get through Pod Identity."
  value       = aws_iam_role.model.arn
}

output "alarm_names" {
  description = "Alarms watching the nodes and the workloads (the canary's included)."
  value = concat(
    [aws_cloudwatch_metric_alarm.failed_nodes.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.restarts : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.saturation : a.alarm_name],
  )
}
