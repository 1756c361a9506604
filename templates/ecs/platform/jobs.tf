# A job is an ECS task run by a Step Functions state machine, which enforces
# the blueprint's timeout and retries (ECS alone has neither); EventBridge
# Scheduler starts an execution on each schedule, in UTC.

resource "aws_cloudwatch_log_group" "job_runs" {
  for_each          = var.jobs
  name              = each.value.runs_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.platform.arn
  tags              = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_iam_role" "job_runner" {
  for_each           = var.jobs
  name               = each.value.runner_role
  assume_role_policy = local.trust_policy["states"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "job_runner" {
  # checkov:skip=CKV_AWS_290: CloudWatch Logs delivery and X-Ray actions have no resource-level permissions
  # checkov:skip=CKV_AWS_355: same: the log-delivery and X-Ray statements must name "*"
  for_each = var.jobs
  name     = "run-task"
  role     = aws_iam_role.job_runner[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "RunOwnTask"
        Effect   = "Allow"
        Action   = var.iam_actions.run_task
        Resource = "${aws_ecs_task_definition.workload[each.key].arn_without_revision}:*"
        Condition = {
          ArnEquals = { "ecs:cluster" = aws_ecs_cluster.this.arn }
        }
      },
      {
        # RunTask with PropagateTags tags the task it creates, which needs
        # ecs:TagResource on the new task; only as part of RunTask (as in
        # AWS's own ecsEventsRole).
        Sid      = "TagOwnTask"
        Effect   = "Allow"
        Action   = var.iam_actions.tag_task
        Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"
        Condition = {
          StringEquals = { "ecs:CreateAction" = "RunTask" }
        }
      },
      {
        Sid      = "WatchOwnTask"
        Effect   = "Allow"
        Action   = var.iam_actions.watch_task
        Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"
      },
      {
        Sid      = "PassTaskRoles"
        Effect   = "Allow"
        Action   = var.iam_actions.pass_role
        Resource = [aws_iam_role.execution[each.key].arn, aws_iam_role.task[each.key].arn]
      },
      {
        # runTask.sync waits for the task through this managed rule.
        Sid      = "SyncRule"
        Effect   = "Allow"
        Action   = var.iam_actions.task_sync_rule
        Resource = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"
      },
      {
        Sid      = "ExecutionLogs"
        Effect   = "Allow"
        Action   = var.iam_actions.log_delivery
        Resource = "*"
      },
      {
        Sid      = "Tracing"
        Effect   = "Allow"
        Action   = var.iam_actions.tracing
        Resource = "*"
      },
    ]
  })
}

resource "aws_sfn_state_machine" "job" {
  for_each = var.jobs
  name     = each.value.name
  role_arn = aws_iam_role.job_runner[each.key].arn

  definition = jsonencode({
    Comment = "Runs ${each.value.name} once, with its timeout and retries"
    StartAt = "RunTask"
    States = {
      RunTask = {
        Type           = "Task"
        Resource       = "arn:${local.partition}:states:::ecs:runTask.sync"
        TimeoutSeconds = each.value.timeout_seconds
        Parameters = {
          Cluster        = aws_ecs_cluster.this.arn
          TaskDefinition = aws_ecs_task_definition.workload[each.key].arn
          PropagateTags  = "TASK_DEFINITION"
          # No on-demand base: a run is one task, and a base of 1 would put
          # every run on FARGATE whatever the job's spot share.
          CapacityProviderStrategy = [
            for provider, weight in { FARGATE = 100 - each.value.spot_percent, FARGATE_SPOT = each.value.spot_percent } :
            { CapacityProvider = provider, Weight = weight } if weight > 0
          ]
          NetworkConfiguration = {
            AwsvpcConfiguration = {
              Subnets        = var.private_subnet_ids
              SecurityGroups = [aws_security_group.workload[each.key].id]
              AssignPublicIp = "DISABLED"
            }
          }
        }
        Retry = [{
          ErrorEquals     = ["States.ALL"]
          MaxAttempts     = each.value.retries
          IntervalSeconds = 60
          BackoffRate     = 2
        }]
        End = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.job_runs[each.key].arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })

  # CreateStateMachine with logging checks that the role may deliver logs,
  # so its policy must exist first; each run's RunTask names capacity
  # providers, which must be associated with the cluster.
  depends_on = [
    aws_iam_role_policy.job_runner,
    aws_ecs_cluster_capacity_providers.this,
  ]
}

resource "aws_iam_role" "scheduler" {
  for_each           = var.jobs
  name               = each.value.scheduler_role
  assume_role_policy = local.trust_policy["scheduler"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "scheduler" {
  for_each = var.jobs
  name     = "start-own-job"
  role     = aws_iam_role.scheduler[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "StartOwnJob"
        Effect   = "Allow"
        Action   = var.iam_actions.start_execution
        Resource = aws_sfn_state_machine.job[each.key].arn
      }],
      # The scheduler writes a start it gave up on to the dead-letter
      # queue with this role.
      length(aws_sqs_queue.scheduler_dead_letter) == 0 ? [] : [{
        Sid      = "DeadLetter"
        Effect   = "Allow"
        Action   = var.iam_actions.dead_letter_publish
        Resource = aws_sqs_queue.scheduler_dead_letter[0].arn
      }],
    )
  })
}

# Starts that EventBridge Scheduler gave up on (after its retries), kept
# 14 days to inspect; an alarm watches it (alarms.tf).
resource "aws_sqs_queue" "scheduler_dead_letter" {
  count                     = length(var.jobs) > 0 && var.names.scheduler_dead_letter != null ? 1 : 0
  name                      = var.names.scheduler_dead_letter
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

data "aws_iam_policy_document" "scheduler_dead_letter_tls_only" {
  count = length(aws_sqs_queue.scheduler_dead_letter)

  statement {
    sid       = "DenyHTTP"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.scheduler_dead_letter[0].arn]

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

resource "aws_sqs_queue_policy" "scheduler_dead_letter" {
  count     = length(aws_sqs_queue.scheduler_dead_letter)
  queue_url = aws_sqs_queue.scheduler_dead_letter[0].id
  policy    = data.aws_iam_policy_document.scheduler_dead_letter_tls_only[0].json
}

resource "aws_scheduler_schedule" "job" {
  # checkov:skip=CKV_AWS_297: the schedule passes no input to its target, so there is nothing for a customer key to protect
  for_each                     = local.schedules
  name                         = each.value.name
  description                  = "Starts ${var.jobs[each.value.job].name}"
  schedule_expression          = each.value.expression
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.job[each.value.job].arn
    role_arn = aws_iam_role.scheduler[each.value.job].arn

    # Retries of the start call itself; the job's own retries live in the state machine.
    retry_policy {
      maximum_retry_attempts       = 3
      maximum_event_age_in_seconds = 3600
    }

    dynamic "dead_letter_config" {
      for_each = aws_sqs_queue.scheduler_dead_letter[*].arn
      content {
        arn = dead_letter_config.value
      }
    }
  }

  # The first run assumes the role: its permission exists before the
  # schedule and outlives it.
  depends_on = [aws_iam_role_policy.scheduler]
}
