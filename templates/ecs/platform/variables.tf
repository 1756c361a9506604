variable "names" {
  description = "Names of what this copy of the platform has once (cluster, KMS alias, exec log group, load balancer and its security group, Cloud Map namespace, the schedules' dead-letter queue), decided and length-checked by blueprint."
  type = object({
    cluster                      = string
    kms_alias                    = string
    exec_log_group               = string
    load_balancer                = string
    load_balancer_security_group = string
    dns_namespace                = string
    scheduler_dead_letter        = optional(string)
  })
}

variable "iam_actions" {
  description = "The IAM actions each role of the module is granted, decided once by blueprint (src/aws/iam.rs)."
  type = object({
    queue_publish       = list(string)
    queue_consume       = list(string)
    secret_read         = list(string)
    kms_decrypt         = list(string)
    exec_channels       = list(string)
    exec_log_groups     = list(string)
    exec_log_streams    = list(string)
    run_task            = list(string)
    tag_task            = list(string)
    watch_task          = list(string)
    pass_role           = list(string)
    task_sync_rule      = list(string)
    log_delivery        = list(string)
    tracing             = list(string)
    start_execution     = list(string)
    dead_letter_publish = list(string)
    logs_key_use        = list(string)
    storage_mount       = list(string)
    storage_client      = list(string)
  })
}

variable "alarms" {
  description = "CloudWatch alarm names by what they watch, decided by blueprint: the load balancer's own 5XX, each dead-letter queue (by queue key), each public service's target 5XX and unhealthy hosts (by service key), each job's failed and timed-out runs (by job key), and the schedules' dead-letter queue."
  type = object({
    load_balancer_5xx     = optional(string)
    dead_letters          = optional(map(string), {})
    target_5xx            = optional(map(string), {})
    unhealthy_hosts       = optional(map(string), {})
    job_failed            = optional(map(string), {})
    job_timed_out         = optional(map(string), {})
    scheduler_dead_letter = optional(string)
  })
  default = {}
}

variable "alarm_rules" {
  description = "When each kind of alarm fires (metric, statistic, period, periods in a row, threshold), decided once by blueprint for every target."
  type = map(object({
    namespace = string
    metric    = string
    statistic = string
    period    = number
    periods   = number
    threshold = number
  }))
}

variable "alarm_topic_arn" {
  description = "SNS topic every alarm notifies (on ALARM and OK); null: the alarms only change state."
  type        = string
  default     = null
}

variable "region" {
  description = "The AWS region the provider deploys to (the roots pass their provider's region)."
  type        = string
}

variable "scratch_image" {
  description = "Image of the init container that makes every scratch volume (/tmp and writable_paths) writable for the app's user before the app starts; it needs chmod."
  type        = string
}

variable "secrets_kms_key_arns" {
  description = "Customer-managed KMS keys that encrypt the workloads' secrets (and registry credentials); execution roles may decrypt with them through Secrets Manager only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.secrets_kms_key_arns : can(regex("^arn:[^:]+:kms:[^:]+:[0-9]{12}:key/", k))])
    error_message = "Each entry must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "registry_credentials" {
  description = "Secrets Manager secret (full ARN) holding the username and password of a private registry, by registry host (\"ghcr.io\", \"registry.example.com:5000\", \"docker.io\"). Images from a listed host are pulled with them; ECR needs none."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for h, a in var.registry_credentials : can(regex("^arn:[^:]+:secretsmanager:[^:]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$", a))])
    error_message = "Each value must be the full ARN of a Secrets Manager secret, with its six-character suffix."
  }
}

variable "wait_for_steady_state" {
  description = "Whether terraform apply waits until every changed service has reached a steady state (and fails when a deployment rolls back)."
  type        = bool
  default     = false
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
  description = "DNS name of the public services: each tenant of a shared platform is served as <tenant>.<domain_name>, a single or dedicated copy at <domain_name>; null routes on paths alone."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone that holds domain_name: when set, an alias record per host points at the load balancer."
  type        = string
  default     = null
}

variable "access_logs_bucket" {
  description = "S3 bucket (SSE-S3, with the bucket policy Elastic Load Balancing access logs need) that receives the load balancer's access logs, under the cluster's name; null: no access logs."
  type        = string
  default     = null
}

variable "waf_web_acl_arn" {
  description = "WAFv2 web ACL (scope REGIONAL) associated with the load balancer; null: none."
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
    registry        = optional(string)
    command         = optional(list(string))
    environment     = optional(map(string), {})
    queue_urls      = optional(map(string), {})
    secrets         = optional(map(string), {})
    secret_lookups  = optional(list(string), [])
    secret_grants   = optional(list(string), [])
    scratch_paths   = optional(list(string), [])
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
    # A stateful service's EFS file system (storage.tf): mounted at `path`;
    # its creation token and Name, the mount targets' security group, and
    # the POSIX user its access point enforces.
    storage = optional(object({
      path           = string
      file_system    = string
      security_group = string
      uid            = number
      gid            = number
    }))
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
    registry       = optional(string)
    command        = optional(list(string))
    environment    = optional(map(string), {})
    queue_urls     = optional(map(string), {})
    secrets        = optional(map(string), {})
    secret_lookups = optional(list(string), [])
    secret_grants  = optional(list(string), [])
    scratch_paths  = optional(list(string), [])
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
