# prod: always at least two copies (a rollout or a lost zone never leaves no server),
# a year of logs, alarms to a person.
environment        = "prod"
min_capacity       = 2
max_capacity       = 6
log_retention_days = 365
monthly_budget_usd = 500
alarm_email        = ""
force_destroy      = false
# false when prod shares dev's account: an account has one OIDC provider per issuer, and
# dev's apply created it.
ci_oidc_create_provider = true
