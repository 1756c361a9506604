variable "names" {
  description = "Names of what this copy of the platform has once (cluster, KMS alias, exec log group, load balancer and its security group, Cloud Map namespace), decided and length-checked by blueprint."
  type = object({
    cluster                      = string
    kms_alias                    = string
    exec_log_group               = string
    load_balancer                = string
    load_balancer_security_group = string
    dns_namespace                = string
  })
}

variable "iam_actions" {
  description = "The IAM actions each use of a queue or secret grants, decided once by blueprint for every target."
  type = object({
    queue_publish = list(string)
    queue_consume = list(string)
    secret_read   = list(string)
  })
}

variable "vpc_id" {
  description = "VPC the platform runs in."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for tasks (no public IPs are ever assigned)."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing load balancer; needed only when a service is public."
  type        = list(string)
  default     = []
}

variable "certificate_arn" {
  description = "ACM certificate for the HTTPS listener; needed only when a service is public."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "DNS name under which each tenant of a shared platform is served as <tenant>.<domain_name>; null routes on paths alone."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps task, exec and job logs."
  type        = number
  default     = 365
}

variable "deletion_protection" {
  description = "Protect the load balancer from deletion; turn off only to tear an environment down."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource of this platform copy (on top of the provider's default_tags)."
  type        = map(string)
  default     = {}
}

variable "queues" {
  description = "SQS queues by key. Names are final (length-checked and .fifo-suffixed by blueprint)."
  type = map(object({
    name                       = string
    tenant                     = optional(string)
    fifo                       = bool
    visibility_timeout_seconds = number
    message_retention_seconds  = number
    dead_letter = optional(object({
      name              = string
      max_receive_count = number
    }))
  }))
  default = {}
}

variable "services" {
  description = "Long-running services by key. Names, sizes and routing are resolved by blueprint."
  type = map(object({
    name            = string
    log_group       = string
    security_group  = string
    execution_role  = string
    task_role       = string
    wake_alarm      = optional(string)
    tenant          = optional(string)
    image           = string
    image_tag       = string
    cpu             = number
    memory          = number
    command         = optional(list(string))
    environment     = optional(map(string), {})
    secrets         = optional(map(string), {})
    port            = optional(number)
    public          = optional(bool, false)
    routes          = optional(list(string), [])
    host_prefix     = optional(string)
    rule_priorities = optional(list(number), [])
    target_group    = optional(string)
    discovery       = optional(string)
    health = optional(object({
      path     = string
      interval = number
      timeout  = number
      retries  = number
      grace    = number
    }))
    min_count        = number
    max_count        = number
    cpu_target       = optional(number)
    memory_target    = optional(number)
    requests_target  = optional(number)
    queue_depth      = optional(number)
    queue_depth_from = optional(string)
    spot_percent     = optional(number, 0)
    publishes        = optional(list(string), [])
    consumes         = optional(list(string), [])
    calls            = optional(list(string), [])
  }))
  default = {}
}

variable "jobs" {
  description = "Scheduled jobs by key: EventBridge Scheduler starts a Step Functions execution that runs the task with a timeout and retries."
  type = map(object({
    name           = string
    log_group      = string
    security_group = string
    execution_role = string
    task_role      = string
    runner_role    = string
    scheduler_role = string
    runs_log_group = string
    tenant         = optional(string)
    image          = string
    image_tag      = string
    cpu            = number
    memory         = number
    command        = optional(list(string))
    environment    = optional(map(string), {})
    secrets        = optional(map(string), {})
    schedules = list(object({
      name       = string
      expression = string
    }))
    timeout_seconds = number
    retries         = optional(number, 0)
    spot_percent    = optional(number, 0)
    publishes       = optional(list(string), [])
    consumes        = optional(list(string), [])
    calls           = optional(list(string), [])
  }))
  default = {}
}
