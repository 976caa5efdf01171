# Container Insights metrics -> the alarm topic. CI's canary step reads the same alarms:
# restarts of the canary's pods (a crash or a failing liveness probe) roll it back.

resource "aws_cloudwatch_metric_alarm" "failed_nodes" {
  alarm_name          = "${var.name}-failed-nodes"
  alarm_description   = "Nodes of the cluster report a failure (NotReady, pressure)."
  namespace           = "ContainerInsights"
  metric_name         = "cluster_failed_node_count"
  dimensions          = { ClusterName = aws_eks_cluster.this.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "restarts" {
  for_each            = toset(var.workloads)
  alarm_name          = "${var.name}-${each.value}-restarts"
  alarm_description   = "Containers of ${each.value} restart: the server crashes or fails its liveness probe."
  namespace           = "ContainerInsights"
  metric_name         = "pod_number_of_container_restarts"
  dimensions          = { ClusterName = aws_eks_cluster.this.name, Namespace = var.namespace, PodName = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}

# Request latency is not in Container Insights: CPU at its limit is where it degrades first.
resource "aws_cloudwatch_metric_alarm" "saturation" {
  for_each            = toset(var.workloads)
  alarm_name          = "${var.name}-${each.value}-cpu-limit"
  alarm_description   = "Pods of ${each.value} run at their CPU limit: latency rises (the HPA should add pods)."
  namespace           = "ContainerInsights"
  metric_name         = "pod_cpu_utilization_over_pod_limit"
  dimensions          = { ClusterName = aws_eks_cluster.this.name, Namespace = var.namespace, PodName = each.value }
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  threshold           = 90
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
}
