# dev: small, cheap, scales to zero when idle where the target can; short log retention.
environment        = "dev"
min_capacity       = 0
max_capacity       = 2
log_retention_days = 30
monthly_budget_usd = 50
alarm_email        = ""
# A dev environment is disposable: destroy takes its data and images with it.
force_destroy = true
