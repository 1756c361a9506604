# The blueprint's queues, one copy per tenant: SSE, TLS only, and a
# dead-letter queue that accepts messages from its own source queue alone.

locals {
  dead_letters = { for k, q in var.queues : k => q if q.dead_letter != null }
}

resource "aws_sqs_queue" "dead_letter" {
  for_each                    = local.dead_letters
  name                        = each.value.dead_letter.name
  fifo_queue                  = each.value.fifo
  content_based_deduplication = each.value.fifo ? true : null
  message_retention_seconds   = 1209600
  sqs_managed_sse_enabled     = true
  tags                        = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_sqs_queue" "this" {
  for_each                    = var.queues
  name                        = each.value.name
  fifo_queue                  = each.value.fifo
  content_based_deduplication = each.value.fifo ? true : null
  visibility_timeout_seconds  = each.value.visibility_timeout_seconds
  message_retention_seconds   = each.value.message_retention_seconds
  sqs_managed_sse_enabled     = true
  redrive_policy = each.value.dead_letter == null ? null : jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[each.key].arn
    maxReceiveCount     = each.value.dead_letter.max_receive_count
  })
  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_sqs_queue_redrive_allow_policy" "dead_letter" {
  for_each  = local.dead_letters
  queue_url = aws_sqs_queue.dead_letter[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.this[each.key].arn]
  })
}

data "aws_iam_policy_document" "queue_tls_only" {
  for_each = var.queues

  statement {
    sid       = "DenyHTTP"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = compact([aws_sqs_queue.this[each.key].arn, try(aws_sqs_queue.dead_letter[each.key].arn, "")])

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "this" {
  for_each  = var.queues
  queue_url = aws_sqs_queue.this[each.key].id
  policy    = data.aws_iam_policy_document.queue_tls_only[each.key].json
}

resource "aws_sqs_queue_policy" "dead_letter" {
  for_each  = local.dead_letters
  queue_url = aws_sqs_queue.dead_letter[each.key].id
  policy    = data.aws_iam_policy_document.queue_tls_only[each.key].json
}

# KEDA reads queue depth with its operator's own identity (TriggerAuthentication
# `podIdentity: {provider: aws, identityOwner: keda}`), bound to keda/keda-operator.
resource "aws_iam_role" "keda" {
  count              = length(var.queues) > 0 ? 1 : 0
  name               = "${var.name}-keda"
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "keda" {
  count = length(var.queues) > 0 ? 1 : 0

  statement {
    sid       = "ReadQueueDepth"
    actions   = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
    resources = [for q in aws_sqs_queue.this : q.arn]
  }
}

resource "aws_iam_role_policy" "keda" {
  count  = length(var.queues) > 0 ? 1 : 0
  name   = "read-queue-depth"
  role   = aws_iam_role.keda[0].id
  policy = data.aws_iam_policy_document.keda[0].json
}

resource "aws_eks_pod_identity_association" "keda" {
  count           = length(var.queues) > 0 ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "keda"
  service_account = "keda-operator"
  role_arn        = aws_iam_role.keda[0].arn
  tags            = var.tags
}
