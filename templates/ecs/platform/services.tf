# Private DNS for service-to-service calls: <discovery>.<name>.internal.
resource "aws_service_discovery_private_dns_namespace" "this" {
  count       = length(local.discoverable) > 0 ? 1 : 0
  name        = var.names.dns_namespace
  description = "Service discovery for ${var.names.cluster}"
  vpc         = var.vpc_id
  tags        = var.tags
}

resource "aws_service_discovery_service" "this" {
  for_each = local.discoverable
  name     = each.value.discovery

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this[0].id
    routing_policy = "MULTIVALUE"

    dns_records {
      ttl  = 10
      type = "A"
    }
  }

  health_check_custom_config {
    failure_threshold = 1
  }

  tags = var.tags
}

locals {
  # A stateful service that runs one task is deployed like a StatefulSet's
  # pod: the old task stops before the new one starts, so two copies of a
  # single-writer engine never open its data at once (OpenSearch would fail
  # on the lock it still holds, PostgreSQL would corrupt it). Its deploys
  # cost a restart. Several tasks already share their file system, so they
  # roll as usual.
  stop_first = { for k, s in var.services : k => s.storage != null && s.max_count == 1 }
}

# Services come in two resources, because Terraform's lifecycle cannot
# depend on a value: a fixed-size service (max = min) keeps desired_count
# as the blueprint says, so raising `min` scales it; a service with an
# autoscaling target leaves desired_count to Application Auto Scaling once
# it exists. A service that changes between the two moves between the
# resources: each root declares `moved` blocks for that (moved.tf), so it
# is updated in place, never destroyed and created again.
resource "aws_ecs_service" "this" {
  for_each                           = local.fixed
  name                               = each.value.name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.workload[each.key].arn
  desired_count                      = each.value.min_count
  enable_execute_command             = true
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = local.stop_first[each.key] ? 0 : 100
  deployment_maximum_percent         = local.stop_first[each.key] ? 100 : 200
  health_check_grace_period_seconds  = each.value.public ? (each.value.health == null ? 0 : each.value.health.grace) : null
  # A changed capacity provider strategy (spot) is applied in place with a
  # new deployment, instead of replacing the service.
  force_new_deployment  = true
  wait_for_steady_state = var.wait_for_steady_state

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # On-demand first (base 1), then the blueprint's spot share by weight.
  dynamic "capacity_provider_strategy" {
    for_each = each.value.spot_percent == 0 ? {} : { FARGATE_SPOT = each.value.spot_percent }
    content {
      capacity_provider = capacity_provider_strategy.key
      weight            = capacity_provider_strategy.value
    }
  }

  capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 1
    weight            = 100 - each.value.spot_percent
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.workload[each.key].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.public ? [each.key] : []
    content {
      target_group_arn = aws_lb_target_group.service[load_balancer.value].arn
      container_name   = "app"
      container_port   = each.value.port
    }
  }

  dynamic "service_registries" {
    for_each = each.value.port == null ? [] : [each.key]
    content {
      registry_arn = aws_service_discovery_service.this[service_registries.value].arn
    }
  }

  # Ordered as `scaled` below (the same reasons).
  depends_on = [
    aws_lb_listener_rule.route,
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy.execution_secrets,
    aws_iam_role_policy.task_queues,
    aws_iam_role_policy.task_exec,
    aws_vpc_security_group_egress_rule.https,
    aws_vpc_security_group_egress_rule.calls,
    aws_vpc_security_group_ingress_rule.calls,
    aws_vpc_security_group_ingress_rule.from_load_balancer,
    aws_iam_role_policy.task_storage,
    aws_vpc_security_group_egress_rule.storage_nfs,
    aws_vpc_security_group_ingress_rule.storage_nfs,
    aws_efs_mount_target.service,
    aws_efs_file_system_policy.service,
  ]

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_ecs_service" "scaled" {
  for_each                           = local.scaled
  name                               = each.value.name
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.workload[each.key].arn
  desired_count                      = each.value.min_count
  enable_execute_command             = true
  propagate_tags                     = "SERVICE"
  deployment_minimum_healthy_percent = local.stop_first[each.key] ? 0 : 100
  deployment_maximum_percent         = local.stop_first[each.key] ? 100 : 200
  health_check_grace_period_seconds  = each.value.public ? (each.value.health == null ? 0 : each.value.health.grace) : null
  # A changed capacity provider strategy (spot) is applied in place with a
  # new deployment, instead of replacing the service.
  force_new_deployment  = true
  wait_for_steady_state = var.wait_for_steady_state

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # On-demand first (base 1), then the blueprint's spot share by weight.
  dynamic "capacity_provider_strategy" {
    for_each = each.value.spot_percent == 0 ? {} : { FARGATE_SPOT = each.value.spot_percent }
    content {
      capacity_provider = capacity_provider_strategy.key
      weight            = capacity_provider_strategy.value
    }
  }

  capacity_provider_strategy {
    capacity_provider = "FARGATE"
    base              = 1
    weight            = 100 - each.value.spot_percent
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.workload[each.key].id]
    assign_public_ip = false
  }

  dynamic "load_balancer" {
    for_each = each.value.public ? [each.key] : []
    content {
      target_group_arn = aws_lb_target_group.service[load_balancer.value].arn
      container_name   = "app"
      container_port   = each.value.port
    }
  }

  dynamic "service_registries" {
    for_each = each.value.port == null ? [] : [each.key]
    content {
      registry_arn = aws_service_discovery_service.this[service_registries.value].arn
    }
  }

  # Application Auto Scaling owns the task count once the service exists;
  # changing min/max updates its scalable target, which moves the count
  # into the new range.
  lifecycle {
    ignore_changes = [desired_count]
  }

  # Created after, and destroyed before: the listener rules (a target group
  # must be attached to the load balancer), the cluster's capacity providers
  # (a strategy may name only providers already associated with the cluster,
  # and an association in use cannot be removed), and what its tasks need the
  # moment they start: the policies of the roles they run with (image pull,
  # secrets, logs) and the rules of their security group (Terraform removes
  # a new group's default egress, so no image pull before the HTTPS rule; no
  # health check before the load balancer's ingress), and a stateful
  # service's EFS mount targets, their NFS rules and the file system's
  # policy (a task mounts its file system as it starts; a mount target
  # takes minutes to become available). Draining tasks still need them on
  # destroy.
  depends_on = [
    aws_lb_listener_rule.route,
    aws_ecs_cluster_capacity_providers.this,
    aws_iam_role_policy_attachment.execution,
    aws_iam_role_policy.execution_secrets,
    aws_iam_role_policy.task_queues,
    aws_iam_role_policy.task_exec,
    aws_vpc_security_group_egress_rule.https,
    aws_vpc_security_group_egress_rule.calls,
    aws_vpc_security_group_ingress_rule.calls,
    aws_vpc_security_group_ingress_rule.from_load_balancer,
    aws_iam_role_policy.task_storage,
    aws_vpc_security_group_egress_rule.storage_nfs,
    aws_vpc_security_group_ingress_rule.storage_nfs,
    aws_efs_mount_target.service,
    aws_efs_file_system_policy.service,
  ]

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}
