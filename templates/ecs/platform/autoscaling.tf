locals {
  # (service, metric) pairs for the predefined target-tracking metrics.
  targets = merge([for k, s in local.scaled : {
    for metric, t in {
      cpu      = { type = "ECSServiceAverageCPUUtilization", target = s.cpu_target }
      memory   = { type = "ECSServiceAverageMemoryUtilization", target = s.memory_target }
      requests = { type = "ALBRequestCountPerTarget", target = s.public ? s.requests_target : null }
    } : "${k}:${metric}" => merge(t, { service = k, metric = metric }) if t.target != null
  }]...)
}

resource "aws_appautoscaling_target" "service" {
  for_each           = local.scaled
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.scaled[each.key].name}"
  min_capacity       = each.value.min_count
  max_capacity       = each.value.max_count
  tags               = var.tags
}

# One target-tracking policy per service and metric it names.
resource "aws_appautoscaling_policy" "target" {
  for_each           = local.targets
  name               = each.value.metric
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.value.service].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.value.service].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.value.service].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = each.value.type
      resource_label         = each.value.type == "ALBRequestCountPerTarget" ? "${aws_lb.public[0].arn_suffix}/${aws_lb_target_group.service[each.value.service].arn_suffix}" : null
    }
  }
}

# Queue workers track the backlog per task: visible messages divided by
# running tasks (Container Insights), kept at `queue_depth`.
resource "aws_appautoscaling_policy" "backlog" {
  for_each           = { for k, s in local.scaled : k => s if s.queue_depth != null }
  name               = "backlog-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.queue_depth
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    customized_metric_specification {
      metrics {
        id          = "visible"
        return_data = false

        metric_stat {
          stat = "Sum"

          metric {
            namespace   = "AWS/SQS"
            metric_name = "ApproximateNumberOfMessagesVisible"

            dimensions {
              name  = "QueueName"
              value = aws_sqs_queue.this[each.value.queue_depth_from].name
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }

            dimensions {
              name  = "ServiceName"
              value = aws_ecs_service.scaled[each.key].name
            }
          }
        }
      }

      metrics {
        id          = "backlog"
        label       = "Visible messages per running task"
        expression  = "IF(FILL(tasks, 0) > 0, visible / FILL(tasks, 0), visible)"
        return_data = true
      }
    }
  }
}

# Target tracking cannot scale out from zero tasks: when a worker with
# `min: 0` has messages waiting and no task running, start one.
resource "aws_appautoscaling_policy" "wake" {
  for_each           = { for k, s in local.scaled : k => s if s.wake_alarm != null }
  name               = "wake-from-zero"
  policy_type        = "StepScaling"
  service_namespace  = aws_appautoscaling_target.service[each.key].service_namespace
  scalable_dimension = aws_appautoscaling_target.service[each.key].scalable_dimension
  resource_id        = aws_appautoscaling_target.service[each.key].resource_id

  step_scaling_policy_configuration {
    adjustment_type         = "ChangeInCapacity"
    cooldown                = 60
    metric_aggregation_type = "Maximum"

    step_adjustment {
      metric_interval_lower_bound = 0
      scaling_adjustment          = 1
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "wake" {
  for_each            = aws_appautoscaling_policy.wake
  alarm_name          = var.services[each.key].wake_alarm
  alarm_description   = "Messages are waiting and no task of ${var.services[each.key].name} runs"
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [each.value.arn]

  metric_query {
    id          = "waiting"
    expression  = "IF(visible >= 1 AND FILL(tasks, 0) == 0, 1, 0)"
    label       = "Messages waiting with no task running"
    return_data = true
  }

  metric_query {
    id = "visible"

    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      period      = 60
      stat        = "Maximum"
      dimensions  = { QueueName = aws_sqs_queue.this[var.services[each.key].queue_depth_from].name }
    }
  }

  metric_query {
    id = "tasks"

    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      period      = 60
      stat        = "Average"
      dimensions  = { ClusterName = aws_ecs_cluster.this.name, ServiceName = var.services[each.key].name }
    }
  }

  tags = var.tags
}
