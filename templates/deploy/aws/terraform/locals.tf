locals {
  # Prefix of every resource name: two environments of one project can share an account.
  name = "${var.project}-${var.environment}"

  tags = {
    Project     = var.project
    Environment = var.environment
    # One tag naming exactly this environment of this project: the cost budget filters on
    # it (activate it as a cost allocation tag in the Billing console once it shows there).
    Stack     = "${var.project}-${var.environment}"
    ManagedBy = "terraform"
  }

  # What the target runs: an immutable tag, so a deployment names exactly one image.
  image = "${module.registry.repository_url}:${var.image_tag}"

  # The bundle the target serves: `make publish-model` copies the champion to this prefix.
  model_uri = coalesce(var.model_uri, "s3://${module.storage.models_bucket}/models/champion/")
}
