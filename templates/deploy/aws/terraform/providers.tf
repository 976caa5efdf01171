provider "aws" {
  region = var.region

  # Every resource carries the project, environment and owner tags (cost reports, budgets).
  default_tags {
    tags = local.tags
  }
}
