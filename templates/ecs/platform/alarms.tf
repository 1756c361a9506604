# Alarms on what fails quietly: messages given up on (dead-letter queues,
# the schedules' dead-letter queue), errors and unhealthy targets behind
# the load balancer, and job runs that fail or time out. blueprint names
# each one (var.alarms) and decides when each kind fires (var.alarm_rules);
# with alarm_topic_arn they notify that SNS topic on ALARM and on OK.

locals {
  alarm_actions = var.alarm_topic_arn == null ? [] : [var.alarm_topic_arn]

  # What each alarm watches, by "<kind>:<key>". Every alarm fires at
  # `threshold` or more in one `period` (`periods` in a row).
  alarms = merge(
    { for k, name in var.alarms.dead_letters : "dead_letters:${k}" => {
      name        = name
      description = "Messages of ${var.queues[k].name} were given up on and wait in its dead-letter queue"
      namespace   = var.alarm_rules["dead_letters"].namespace
      metric      = var.alarm_rules["dead_letters"].metric
      dimensions  = tomap({ QueueName = aws_sqs_queue.dead_letter[k].name })
      statistic   = var.alarm_rules["dead_letters"].statistic
      period      = var.alarm_rules["dead_letters"].period
      periods     = var.alarm_rules["dead_letters"].periods
      threshold   = var.alarm_rules["dead_letters"].threshold
      tenant      = var.queues[k].tenant
    } if contains(keys(local.dead_letters), k) },
    { for k, name in var.alarms.target_5xx : "target_5xx:${k}" => {
      name        = name
      description = "${var.services[k].name} answers the load balancer with 5XX errors"
      namespace   = var.alarm_rules["target_5xx"].namespace
      metric      = var.alarm_rules["target_5xx"].metric
      dimensions  = tomap({ LoadBalancer = aws_lb.public[0].arn_suffix, TargetGroup = aws_lb_target_group.service[k].arn_suffix })
      statistic   = var.alarm_rules["target_5xx"].statistic
      period      = var.alarm_rules["target_5xx"].period
      periods     = var.alarm_rules["target_5xx"].periods
      threshold   = var.alarm_rules["target_5xx"].threshold
      tenant      = var.services[k].tenant
    } if contains(keys(local.public), k) },
    { for k, name in var.alarms.unhealthy_hosts : "unhealthy_hosts:${k}" => {
      name        = name
      description = "Tasks of ${var.services[k].name} fail the load balancer's health check"
      namespace   = var.alarm_rules["unhealthy_hosts"].namespace
      metric      = var.alarm_rules["unhealthy_hosts"].metric
      dimensions  = tomap({ LoadBalancer = aws_lb.public[0].arn_suffix, TargetGroup = aws_lb_target_group.service[k].arn_suffix })
      statistic   = var.alarm_rules["unhealthy_hosts"].statistic
      period      = var.alarm_rules["unhealthy_hosts"].period
      periods     = var.alarm_rules["unhealthy_hosts"].periods
      threshold   = var.alarm_rules["unhealthy_hosts"].threshold
      tenant      = var.services[k].tenant
    } if contains(keys(local.public), k) },
    { for k, name in var.alarms.job_failed : "job_failed:${k}" => {
      name        = name
      description = "A run of ${var.jobs[k].name} failed after its retries"
      namespace   = var.alarm_rules["job_failed"].namespace
      metric      = var.alarm_rules["job_failed"].metric
      dimensions  = tomap({ StateMachineArn = aws_sfn_state_machine.job[k].arn })
      statistic   = var.alarm_rules["job_failed"].statistic
      period      = var.alarm_rules["job_failed"].period
      periods     = var.alarm_rules["job_failed"].periods
      threshold   = var.alarm_rules["job_failed"].threshold
      tenant      = var.jobs[k].tenant
    } if contains(keys(var.jobs), k) },
    { for k, name in var.alarms.job_timed_out : "job_timed_out:${k}" => {
      name        = name
      description = "A run of ${var.jobs[k].name} ran past its timeout"
      namespace   = var.alarm_rules["job_timed_out"].namespace
      metric      = var.alarm_rules["job_timed_out"].metric
      dimensions  = tomap({ StateMachineArn = aws_sfn_state_machine.job[k].arn })
      statistic   = var.alarm_rules["job_timed_out"].statistic
      period      = var.alarm_rules["job_timed_out"].period
      periods     = var.alarm_rules["job_timed_out"].periods
      threshold   = var.alarm_rules["job_timed_out"].threshold
      tenant      = var.jobs[k].tenant
    } if contains(keys(var.jobs), k) },
    local.has_public && var.alarms.load_balancer_5xx != null ? { "load_balancer_5xx" = {
      name        = var.alarms.load_balancer_5xx
      description = "The load balancer of ${var.names.cluster} answers with 5XX errors of its own"
      namespace   = var.alarm_rules["load_balancer_5xx"].namespace
      metric      = var.alarm_rules["load_balancer_5xx"].metric
      dimensions  = tomap({ LoadBalancer = aws_lb.public[0].arn_suffix })
      statistic   = var.alarm_rules["load_balancer_5xx"].statistic
      period      = var.alarm_rules["load_balancer_5xx"].period
      periods     = var.alarm_rules["load_balancer_5xx"].periods
      threshold   = var.alarm_rules["load_balancer_5xx"].threshold
      tenant      = null
    } } : {},
    length(aws_sqs_queue.scheduler_dead_letter) > 0 && var.alarms.scheduler_dead_letter != null ? { "scheduler_dead_letter" = {
      name        = var.alarms.scheduler_dead_letter
      description = "EventBridge Scheduler could not start a job of ${var.names.cluster}"
      namespace   = var.alarm_rules["scheduler_dead_letter"].namespace
      metric      = var.alarm_rules["scheduler_dead_letter"].metric
      dimensions  = tomap({ QueueName = aws_sqs_queue.scheduler_dead_letter[0].name })
      statistic   = var.alarm_rules["scheduler_dead_letter"].statistic
      period      = var.alarm_rules["scheduler_dead_letter"].period
      periods     = var.alarm_rules["scheduler_dead_letter"].periods
      threshold   = var.alarm_rules["scheduler_dead_letter"].threshold
      tenant      = null
    } } : {},
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = each.value.name
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = each.value.period
  evaluation_periods  = each.value.periods
  threshold           = each.value.threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}
