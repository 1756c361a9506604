# One role per service and job, assumed through EKS Pod Identity by its
# service account in its tenant's namespace, allowed only its own queues.
# Its secrets reach it as a Kubernetes Secret (secrets.tf): the pod never
# calls Secrets Manager.

locals {
  workloads_with_policy = {
    for k, w in var.workloads : k => w
    if length(w.publishes) + length(w.consumes) > 0
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
