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
