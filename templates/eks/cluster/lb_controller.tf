# The AWS Load Balancer Controller's AWS side, when a service is public: its
# role, with AWS's published policy for the pinned controller version
# (aws-load-balancer-controller-policy.json: kubernetes-sigs/
# aws-load-balancer-controller v3.5.0, docs/install/iam_policy.json,
# unchanged; its ARNs name the `aws` partition, rewritten here for others),
# bound with EKS Pod Identity to kube-system/aws-load-balancer-controller.
# The controller itself is installed by the GitOps platform unit.

locals {
  lb_controller = length(var.public_subnet_ids) > 0
}

resource "aws_iam_role" "lb_controller" {
  count              = local.lb_controller ? 1 : 0
  name               = var.names.lb_controller_role
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

resource "aws_iam_role_policy" "lb_controller" {
  count  = local.lb_controller ? 1 : 0
  name   = "aws-load-balancer-controller"
  role   = aws_iam_role.lb_controller[0].id
  policy = replace(file("${path.module}/aws-load-balancer-controller-policy.json"), "arn:aws:", "arn:${local.partition}:")
}

resource "aws_eks_pod_identity_association" "lb_controller" {
  count           = local.lb_controller ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "kube-system"
  service_account = "aws-load-balancer-controller"
  role_arn        = aws_iam_role.lb_controller[0].arn
  tags            = var.tags
}
