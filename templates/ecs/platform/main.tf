# The ECS Fargate platform: one copy per environment for the shared tenants,
# and one per dedicated tenant. Everything that varies per application arrives
# through the variables; this module is the same for every blueprint.

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
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
      cpu            = s.cpu
      memory         = s.memory
      command        = s.command
      environment    = s.environment
      secrets        = s.secrets
      port           = s.port
      health         = s.health
      publishes      = s.publishes
      consumes       = s.consumes
      calls          = s.calls
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
      cpu            = j.cpu
      memory         = j.memory
      command        = j.command
      environment    = j.environment
      secrets        = j.secrets
      port           = null
      health         = null
      publishes      = j.publishes
      consumes       = j.consumes
      calls          = j.calls
      is_service     = false
    } },
  )

  # Secrets given by name are looked up for their full ARN, which is what
  # ECS's valueFrom and a least-privilege IAM statement both need.
  secret_refs  = toset(flatten([for w in local.workloads : values(w.secrets)]))
  secret_names = toset([for s in local.secret_refs : s if !startswith(s, "arn:")])
  secret_arns = {
    for s in local.secret_refs : s => startswith(s, "arn:") ? s : data.aws_secretsmanager_secret.by_name[s].arn
  }

  public       = { for k, s in var.services : k => s if s.public }
  has_public   = length(local.public) > 0
  discoverable = { for k, s in var.services : k => s if s.port != null }

  # One listener rule per public route: a rule holds at most five condition values.
  public_routes = merge([for k, s in local.public : {
    for i, r in s.routes : "${k}#${i}" => {
      service  = k
      priority = s.rule_priorities[i]
      paths    = r == "/" ? ["/*"] : [r, "${r}/*"]
      host     = s.host_prefix == null || var.domain_name == null ? null : "${s.host_prefix}.${var.domain_name}"
    }
  }]...)

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

data "aws_secretsmanager_secret" "by_name" {
  for_each = local.secret_names
  name     = each.value
}
