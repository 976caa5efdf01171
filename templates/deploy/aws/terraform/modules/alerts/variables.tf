variable "name" {
  description = "Prefix of the topic and budget names (<project>-<environment>)."
  type        = string
}

variable "account_id" {
  description = "Account whose services may publish to the topic and whose costs the budget counts."
  type        = string
}

variable "kms_key_arn" {
  description = "Key that encrypts the topic's messages."
  type        = string
}

variable "alarm_email" {
  description = "Address subscribed to the topic; empty for none."
  type        = string
  default     = ""
}

variable "monthly_budget_usd" {
  description = "Monthly cost limit in USD."
  type        = number
}

variable "budget_tag" {
  description = "Cost allocation tag (key and value) whose resources the budget counts; null counts the whole account."
  type = object({
    key   = string
    value = string
  })
  default = null
}
