# The EKS cluster module alone, against a mocked AWS provider: what it would create (the
# emulator apply in tests/test_aws_target.py checks that AWS's API, as moto has it, accepts it).

mock_provider "aws" {
  # Mocked computed attributes are random strings; these are validated as ARNs or JSON.
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_eks_cluster" {
    defaults = { arn = "arn:aws:eks:eu-west-1:123456789012:cluster/demo-dev" }
  }
  mock_resource "aws_launch_template" {
    defaults = { id = "lt-0123456789abcdef0", latest_version = 1 }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  name              = "demo-dev"
  namespace         = "demo"
  service_account   = "demo"
  workloads         = ["demo", "demo-canary"]
  subnet_ids        = ["subnet-aaaa", "subnet-bbbb"]
  ci_role_arn       = "arn:aws:iam::123456789012:role/demo-dev-ci"
  kms_key_arn       = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000"
  models_bucket_arn = "arn:aws:s3:::demo-dev-models"
  alarm_topic_arn   = "arn:aws:sns:eu-west-1:123456789012:demo-dev-alarms"
  min_capacity      = 0
  max_capacity      = 2
}

run "dev_cluster" {
  command = apply

  module {
    source = "./modules/eks_cluster"
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access == false && aws_eks_cluster.this.vpc_config[0].endpoint_private_access
    error_message = "without CI addresses the API is reachable from the VPC only"
  }
  assert {
    condition     = aws_eks_cluster.this.encryption_config[0].provider[0].key_arn == var.kms_key_arn && aws_eks_cluster.this.encryption_config[0].resources == toset(["secrets"])
    error_message = "Kubernetes secrets are encrypted with the project key"
  }
  assert {
    condition     = length(aws_eks_cluster.this.enabled_cluster_log_types) == 5
    error_message = "every control-plane log type is kept"
  }
  assert {
    condition     = aws_cloudwatch_log_group.cluster.name == "/aws/eks/demo-dev/cluster" && aws_cloudwatch_log_group.cluster.kms_key_id == var.kms_key_arn
    error_message = "the control plane logs to its own KMS-encrypted group"
  }
  assert {
    condition     = aws_eks_node_group.this.scaling_config[0].min_size == 0 && aws_eks_node_group.this.scaling_config[0].desired_size == 1
    error_message = "dev's node group may scale to zero and starts with one node"
  }
  assert {
    condition     = aws_launch_template.nodes.metadata_options[0].http_tokens == "required" && aws_launch_template.nodes.metadata_options[0].http_put_response_hop_limit == 1
    error_message = "nodes take IMDSv2 only, out of the pods' reach"
  }
  assert {
    condition     = aws_eks_access_entry.ci[0].principal_arn == var.ci_role_arn && endswith(aws_eks_access_policy_association.ci[0].policy_arn, "/AmazonEKSClusterAdminPolicy")
    error_message = "the CI role gets an access entry to apply the overlay"
  }
  assert {
    condition = (aws_eks_pod_identity_association.model[0].namespace == "demo"
      && aws_eks_pod_identity_association.model[0].service_account == "demo"
    && aws_eks_pod_identity_association.model[0].role_arn == aws_iam_role.model.arn)
    error_message = "the model pods' service account gets the model role through Pod Identity"
  }
  assert {
    condition     = aws_eks_addon.pod_identity[0].addon_name == "eks-pod-identity-agent" && aws_eks_addon.observability[0].addon_name == "amazon-cloudwatch-observability"
    error_message = "the Pod Identity agent and Container Insights run as add-ons"
  }
  assert {
    condition     = length(output.alarm_names) == 5 && contains(output.alarm_names, "demo-dev-demo-canary-restarts")
    error_message = "nodes, and restarts and CPU of both workloads, have alarms"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.restarts["demo-canary"].dimensions["PodName"] == "demo-canary" && aws_cloudwatch_metric_alarm.restarts["demo-canary"].alarm_actions == toset([var.alarm_topic_arn])
    error_message = "the canary's restarts notify the alarm topic"
  }
}

run "ci_addresses_open_the_public_endpoint" {
  command = plan

  module {
    source = "./modules/eks_cluster"
  }

  variables {
    public_access_cidrs = ["203.0.113.0/24"]
  }

  assert {
    condition     = aws_eks_cluster.this.vpc_config[0].endpoint_public_access && aws_eks_cluster.this.vpc_config[0].public_access_cidrs == toset(["203.0.113.0/24"])
    error_message = "listed CI addresses, and only those, reach the public endpoint"
  }
}

run "never_open_to_everyone" {
  command = plan

  module {
    source = "./modules/eks_cluster"
  }

  variables {
    public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.public_access_cidrs]
}

run "emulator_skips_the_kubernetes_apis" {
  command = plan

  module {
    source = "./modules/eks_cluster"
  }

  variables {
    kubernetes_access = false
  }

  assert {
    condition     = length(aws_eks_access_entry.ci) == 0 && length(aws_eks_addon.pod_identity) == 0 && length(aws_eks_pod_identity_association.model) == 0
    error_message = "kubernetes_access = false leaves out what moto cannot create"
  }
}
