output "cluster_name" {
  description = "ECS cluster of this platform copy."
  value       = aws_ecs_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "load_balancer_dns_name" {
  description = "DNS name of the internet-facing load balancer (null when no service is public)."
  value       = one(aws_lb.public[*].dns_name)
}

output "load_balancer_zone_id" {
  description = "Route 53 hosted zone of the load balancer's DNS name, for alias records (null when no service is public)."
  value       = one(aws_lb.public[*].zone_id)
}

output "service_urls" {
  description = "Public URL of every route of every public service."
  value = {
    for k, r in local.public_routes : k => "https://${coalesce(r.host, one(aws_lb.public[*].dns_name))}${trimsuffix(r.paths[0], "/*")}"
  }
}

output "internal_endpoints" {
  description = "Private DNS endpoint of every service that listens on a port."
  value = {
    for k, s in local.discoverable : k => "http://${s.discovery}.${var.names.dns_namespace}:${s.port}"
  }
}

output "queue_urls" {
  description = "URL of every queue."
  value       = { for k, q in aws_sqs_queue.this : k => q.url }
}

output "dead_letter_queue_urls" {
  description = "URL of every dead-letter queue."
  value       = { for k, q in aws_sqs_queue.dead_letter : k => q.url }
}

output "security_group_ids" {
  description = "Security group of every service and job, to grant them access to other resources (databases, caches)."
  value       = { for k, g in aws_security_group.workload : k => g.id }
}
