# Managed add-ons. The VPC CNI enforces NetworkPolicies, in strict mode: a
# new pod starts with no traffic allowed until its policies are in place, so
# every pod, CoreDNS's too, needs a NetworkPolicy for what it reaches (the
# platform unit's system.yaml; see docs/eks.md for the first apply). CoreDNS
# and the EBS CSI controller need the system nodes to become healthy and
# tolerate their CriticalAddonsOnly taint.
resource "aws_eks_addon" "vpc_cni" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "vpc-cni"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  configuration_values = jsonencode({
    enableNetworkPolicy = "true"
    env                 = { NETWORK_POLICY_ENFORCING_MODE = var.network_policy_enforcing_mode }
  })
  tags = var.tags
}

resource "aws_eks_addon" "kube_proxy" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "kube-proxy"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
}

resource "aws_eks_addon" "pod_identity_agent" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "eks-pod-identity-agent"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags
}

resource "aws_eks_addon" "coredns" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "coredns"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  configuration_values = jsonencode({
    tolerations = [{ key = "CriticalAddonsOnly", operator = "Exists" }]
  })
  tags = var.tags

  depends_on = [aws_eks_node_group.system]
}

resource "aws_iam_role" "ebs_csi" {
  name               = var.names.ebs_csi_role
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

# The driver's managed policy, V2: it may only touch volumes and snapshots
# tagged `ebs.csi.aws.com/cluster = true`, which the driver puts on every
# volume it provisions (aws-ebs-csi-driver docs/install.md, v1.64.0). Its
# ARN has no `service-role/` path, unlike V1's (AWS managed policy
# reference). Volumes are encrypted with the account's default EBS key:
# the AWS managed `aws/ebs` needs no KMS grant, a customer managed default
# key would (docs/eks.md, "Stateful services").
# create_before_destroy: replacing V1 attaches V2 before V1 is detached.
resource "aws_iam_role_policy_attachment" "ebs_csi" {
  role       = aws_iam_role.ebs_csi.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEBSCSIDriverPolicyV2"

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_eks_addon" "ebs_csi" {
  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = "aws-ebs-csi-driver"
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"
  tags                        = var.tags

  pod_identity_association {
    role_arn        = aws_iam_role.ebs_csi.arn
    service_account = "ebs-csi-controller-sa"
  }

  depends_on = [
    aws_eks_node_group.system,
    aws_eks_addon.pod_identity_agent,
    aws_iam_role_policy_attachment.ebs_csi,
  ]
}
