# One role per service and job, assumed through EKS Pod Identity by its
# service account in its tenant's namespace, allowed only its own queues
# and secrets.

locals {
  # Secrets arrive as ARNs or ARN patterns (blueprint appends the `-??????`
  # of Secrets Manager's random suffix where the ARN lacks it); names are
  # prefixed with this account's and region's ARN.
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:"
  workload_secret_arns = {
    for k, w in var.workloads : k => [
      for s in w.secrets : startswith(s, "arn:") ? s : "${local.secret_arn_prefix}${s}"
    ]
  }
  workloads_with_policy = {
    for k, w in var.workloads : k => w
    if length(w.publishes) + length(w.consumes) + length(w.secrets) > 0
  }
}

resource "aws_iam_role" "workload" {
  for_each           = var.workloads
  name               = each.value.role_name
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

data "aws_iam_policy_document" "workload" {
  for_each = local.workloads_with_policy

  dynamic "statement" {
    for_each = length(each.value.publishes) > 0 ? [each.value.publishes] : []
    content {
      sid       = "Publish"
      actions   = var.iam_actions.queue_publish
      resources = [for q in statement.value : aws_sqs_queue.this[q].arn]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.consumes) > 0 ? [each.value.consumes] : []
    content {
      sid       = "Consume"
      actions   = var.iam_actions.queue_consume
      resources = [for q in statement.value : aws_sqs_queue.this[q].arn]
    }
  }

  dynamic "statement" {
    for_each = length(each.value.secrets) > 0 ? [local.workload_secret_arns[each.key]] : []
    content {
      sid       = "ReadOwnSecrets"
      actions   = var.iam_actions.secret_read
      resources = statement.value
    }
  }
}

resource "aws_iam_role_policy" "workload" {
  for_each = local.workloads_with_policy
  name     = "least-privilege"
  role     = aws_iam_role.workload[each.key].id
  policy   = data.aws_iam_policy_document.workload[each.key].json
}

resource "aws_eks_pod_identity_association" "workload" {
  for_each        = var.workloads
  cluster_name    = aws_eks_cluster.this.name
  namespace       = each.value.namespace
  service_account = each.value.service_account
  role_arn        = aws_iam_role.workload[each.key].arn
  tags            = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}
