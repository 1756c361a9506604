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
  message_retention_seconds   = 1209600 # 14 days, the SQS maximum: time to inspect and redrive
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
