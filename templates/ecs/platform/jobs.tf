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
        Action   = "ecs:RunTask"
        Resource = "${aws_ecs_task_definition.workload[each.key].arn_without_revision}:*"
        Condition = {
          ArnEquals = { "ecs:cluster" = aws_ecs_cluster.this.arn }
        }
      },
      {
        Sid      = "WatchOwnTask"
        Effect   = "Allow"
        Action   = ["ecs:StopTask", "ecs:DescribeTasks"]
        Resource = "arn:${local.partition}:ecs:${local.region}:${local.account_id}:task/${aws_ecs_cluster.this.name}/*"
      },
      {
        Sid      = "PassTaskRoles"
        Effect   = "Allow"
        Action   = "iam:PassRole"
        Resource = [aws_iam_role.execution[each.key].arn, aws_iam_role.task[each.key].arn]
      },
      {
        # runTask.sync waits for the task through this managed rule.
        Sid      = "SyncRule"
        Effect   = "Allow"
        Action   = ["events:PutTargets", "events:PutRule", "events:DescribeRule"]
        Resource = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/StepFunctionsGetEventsForECSTaskRule"
      },
      {
        Sid    = "ExecutionLogs"
        Effect = "Allow"
        Action = [
          "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies", "logs:DescribeLogGroups",
        ]
        Resource = "*"
      },
      {
        Sid      = "Tracing"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
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
    Statement = [{
      Effect   = "Allow"
      Action   = "states:StartExecution"
      Resource = aws_sfn_state_machine.job[each.key].arn
    }]
  })
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
  }

  # The first run assumes the role: its permission exists before the
  # schedule and outlives it.
  depends_on = [aws_iam_role_policy.scheduler]
}
