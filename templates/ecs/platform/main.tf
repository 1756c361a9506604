# The ECS Fargate platform: one copy per environment for the shared tenants,
# and one per dedicated tenant. Everything that varies per application arrives
# through the variables; this module is the same for every blueprint.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = var.region
  account_id = data.aws_caller_identity.current.account_id

  # Services and jobs both run as Fargate tasks: one task definition, log
  # group, security group and pair of IAM roles each.
  workloads = merge(
    { for k, s in var.services : k => {
      name           = s.name
      log_group      = s.log_group
      security_group = s.security_group
      execution_role = s.execution_role
      task_role      = s.task_role
      tenant         = s.tenant
      image          = "${s.image}${startswith(s.image_tag, "sha256:") ? "@" : ":"}${s.image_tag}"
      registry       = s.registry
      cpu            = s.cpu
      memory         = s.memory
      command        = s.command
      environment    = s.environment
      queue_urls     = s.queue_urls
      secrets        = s.secrets
      secret_lookups = s.secret_lookups
      secret_grants  = s.secret_grants
      scratch_paths  = s.scratch_paths
      port           = s.port
      publishes      = s.publishes
      consumes       = s.consumes
      calls          = s.calls
      storage        = s.storage
      is_service     = true
    } },
    { for k, j in var.jobs : k => {
      name           = j.name
      log_group      = j.log_group
      security_group = j.security_group
      execution_role = j.execution_role
      task_role      = j.task_role
      tenant         = j.tenant
      image          = "${j.image}${startswith(j.image_tag, "sha256:") ? "@" : ":"}${j.image_tag}"
      registry       = j.registry
      cpu            = j.cpu
      memory         = j.memory
      command        = j.command
      environment    = j.environment
      queue_urls     = j.queue_urls
      secrets        = j.secrets
      secret_lookups = j.secret_lookups
      secret_grants  = j.secret_grants
      scratch_paths  = j.scratch_paths
      port           = null
      publishes      = j.publishes
      consumes       = j.consumes
      calls          = j.calls
      storage        = null
      is_service     = false
    } },
  )

  # ECS's valueFrom takes a Secrets Manager secret's full ARN only: names
  # and ARNs without the six-character suffix (blueprint lists them in
  # secret_lookups) are looked up; complete ARNs are used as written. IAM
  # grants do not depend on the lookup: blueprint passes each grant as a
  # pattern (aws::iam), names relative to this account's secret ARNs.
  secret_refs    = toset(flatten([for w in local.workloads : values(w.secrets)]))
  secret_lookups = toset(flatten([for w in local.workloads : w.secret_lookups]))
  value_from = {
    for s in local.secret_refs : s => contains(local.secret_lookups, s) ? data.aws_secretsmanager_secret.lookup[s].arn : s
  }
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:"
  secret_grants = {
    for k, w in local.workloads : k => sort(distinct([for g in w.secret_grants : startswith(g, "arn:") ? g : "${local.secret_arn_prefix}${g}"]))
  }
  # Private registries: the credentials of the registry a workload's image comes from.
  registry_credentials = {
    for k, w in local.workloads : k => lookup(var.registry_credentials, coalesce(w.registry, "-"), null)
  }

  # Services with an autoscaling target (max > min) and fixed-size ones:
  # one aws_ecs_service resource each (services.tf).
  scaled = { for k, s in var.services : k => s if s.max_count > s.min_count }
  fixed  = { for k, s in var.services : k => s if s.max_count <= s.min_count }

  public       = { for k, s in var.services : k => s if s.public }
  has_public   = length(local.public) > 0
  discoverable = { for k, s in var.services : k => s if s.port != null }

  # One listener rule per public route: a rule holds at most five condition values.
  public_routes = merge([for k, s in local.public : {
    for i, r in s.routes : "${k}#${i}" => {
      service  = k
      priority = s.rule_priorities[i]
      paths    = r == "/" ? ["/*"] : [r, "${r}/*"]
      host     = var.domain_name == null ? null : (s.host_prefix == null ? var.domain_name : "${s.host_prefix}.${var.domain_name}")
      # Only a shared copy tells its tenants apart by host; a single or
      # dedicated copy answers on every host its certificate covers.
      match_host = s.host_prefix != null && var.domain_name != null
    }
  }]...)
  hosts = toset([for r in local.public_routes : r.host if r.host != null])

  # Who may call whom: one security-group rule pair per `calls` edge.
  calls = merge([for k, w in local.workloads : {
    for c in w.calls : "${k}>${c}" => { from = k, to = c, port = var.services[c].port }
  }]...)

  # Who may assume the roles this module creates, guarded against the
  # confused deputy: only on behalf of this account.
  trust_policy = {
    for service in ["ecs-tasks", "states", "scheduler"] : service => jsonencode({
      Version = "2012-10-17"
      Statement = [{
        Effect    = "Allow"
        Principal = { Service = "${service}.amazonaws.com" }
        Action    = "sts:AssumeRole"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      }]
    })
  }

  schedules = merge([for k, j in var.jobs : {
    for i, s in j.schedules : "${k}#${i}" => { job = k, name = s.name, expression = s.expression }
  }]...)
}

data "aws_secretsmanager_secret" "lookup" {
  for_each = local.secret_lookups
  name     = startswith(each.value, "arn:") ? null : each.value
  arn      = startswith(each.value, "arn:") ? each.value : null
}
