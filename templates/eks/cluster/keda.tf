# KEDA reads queue depth with its operator's own identity (TriggerAuthentication
# `podIdentity: {provider: aws, identityOwner: keda}`), bound to keda/keda-operator.
resource "aws_iam_role" "keda" {
  count              = length(var.queues) > 0 ? 1 : 0
  name               = var.names.keda_role
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
