output "cluster_name" {
  description = "EKS cluster name."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Private endpoint of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "karpenter_interruption_queue" {
  description = "Queue name for Karpenter's settings.interruptionQueue Helm value."
  value       = aws_sqs_queue.karpenter_interruption.name
}

output "karpenter_node_role_name" {
  description = "IAM role of Karpenter's nodes (named by the EC2NodeClass)."
  value       = aws_iam_role.karpenter_node.name
}

output "vpc_id" {
  description = "The cluster's VPC."
  value       = local.vpc_id
}

output "kubernetes_inputs" {
  description = "The values the GitOps units substitute (postBuild.substituteFrom), as a list of ConfigMaps: terraform output -raw kubernetes_inputs | kubectl apply -f -"
  value = jsonencode({
    apiVersion = "v1"
    kind       = "List"
    items = concat(
      [{ apiVersion = "v1", kind = "Namespace", metadata = { name = var.names.inputs_namespace } }],
      [{
        apiVersion = "v1"
        kind       = "ConfigMap"
        metadata   = { name = var.names.inputs_config_map, namespace = var.names.inputs_namespace }
        data = merge(
          {
            aws_account_id   = local.account_id
            cluster_endpoint = aws_eks_cluster.this.endpoint
            vpc_id           = local.vpc_id
          },
          # A blueprint without a network block renders room for the most
          # subnets it may pass; the extra entries repeat the first ones.
          length(local.public_cidrs) == 0 ? {} : {
            for i in range(var.lb_subnet_cidr_count) : "lb_subnet_cidr_${i}" => local.public_cidrs[i % length(local.public_cidrs)]
          },
        )
      }],
      [for name, u in var.ingress_units : {
        apiVersion = "v1"
        kind       = "ConfigMap"
        metadata   = { name = name, namespace = var.names.inputs_namespace }
        data = {
          host            = u.tenant == null ? var.domain_name : try(var.tenant_domains[u.tenant].domain_name, "${u.tenant}.${var.domain_name}")
          certificate_arn = u.tenant == null ? var.certificate_arn : try(var.tenant_domains[u.tenant].certificate_arn, var.certificate_arn)
        }
      }],
    )
  })
}

output "queue_urls" {
  description = "URL of every queue, by <tenant>-<queue>."
  value       = { for k, q in aws_sqs_queue.this : k => q.url }
}

output "dead_letter_queue_urls" {
  description = "URL of every dead-letter queue, by <tenant>-<queue>."
  value       = { for k, q in aws_sqs_queue.dead_letter : k => q.url }
}

output "workload_role_arns" {
  description = "IAM role of every service and job, by <tenant>-<workload>."
  value       = { for k, r in aws_iam_role.workload : k => r.arn }
}
