resource "aws_cloudwatch_log_group" "workload" {
  for_each          = local.workloads
  name              = each.value.log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.platform.arn
  tags              = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

# The execution role is what ECS itself uses to pull the image, write logs
# and read the secrets it injects: one per workload, so each can read only
# its own secrets.
resource "aws_iam_role" "execution" {
  for_each           = local.workloads
  name               = each.value.execution_role
  assume_role_policy = local.trust_policy["ecs-tasks"]
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution" {
  for_each   = local.workloads
  role       = aws_iam_role.execution[each.key].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

resource "aws_iam_role_policy" "execution_secrets" {
  for_each = { for k, w in local.workloads : k => w if length(w.secrets) > 0 }
  name     = "read-own-secrets"
  role     = aws_iam_role.execution[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadOwnSecrets"
      Effect   = "Allow"
      Action   = var.iam_actions.secret_read
      Resource = sort(distinct([for s in values(each.value.secrets) : local.secret_arns[s]]))
    }]
  })
}

# The task role is what the application's own code gets: only the queues it
# publishes to or consumes, and the channels ECS Exec needs.
resource "aws_iam_role" "task" {
  for_each           = local.workloads
  name               = each.value.task_role
  assume_role_policy = local.trust_policy["ecs-tasks"]
  tags               = var.tags
}

resource "aws_iam_role_policy" "task_queues" {
  for_each = { for k, w in local.workloads : k => w if length(w.publishes) + length(w.consumes) > 0 }
  name     = "own-queues"
  role     = aws_iam_role.task[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      length(each.value.publishes) == 0 ? [] : [{
        Sid      = "Publish"
        Effect   = "Allow"
        Action   = var.iam_actions.queue_publish
        Resource = [for q in each.value.publishes : aws_sqs_queue.this[q].arn]
      }],
      length(each.value.consumes) == 0 ? [] : [{
        Sid      = "Consume"
        Effect   = "Allow"
        Action   = var.iam_actions.queue_consume
        Resource = [for q in each.value.consumes : aws_sqs_queue.this[q].arn]
      }],
    )
  })
}

resource "aws_iam_role_policy" "task_exec" {
  for_each = { for k, w in local.workloads : k => w if w.is_service }
  name     = "ecs-exec"
  role     = aws_iam_role.task[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        # Session Manager's channel actions have no resource-level permissions.
        Sid      = "ExecChannels"
        Effect   = "Allow"
        Action   = ["ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"]
        Resource = "*"
      },
      {
        Sid      = "ExecSessionKey"
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.platform.arn
      },
    ]
  })
}

resource "aws_ecs_task_definition" "workload" {
  for_each                 = local.workloads
  family                   = each.value.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(each.value.cpu)
  memory                   = tostring(each.value.memory)
  execution_role_arn       = aws_iam_role.execution[each.key].arn
  task_role_arn            = aws_iam_role.task[each.key].arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root filesystem is read-only; /tmp is the writable scratch space.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{ for key, value in {
    name                   = "app"
    image                  = each.value.image
    essential              = true
    readonlyRootFilesystem = true
    command                = each.value.command
    environment            = [for k in sort(keys(each.value.environment)) : { name = k, value = each.value.environment[k] }]
    secrets                = [for k in sort(keys(each.value.secrets)) : { name = k, valueFrom = local.secret_arns[each.value.secrets[k]] }]
    portMappings           = each.value.port == null ? [] : [{ name = "http", containerPort = each.value.port, protocol = "tcp" }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    linuxParameters        = { initProcessEnabled = true }
    healthCheck = each.value.health == null ? null : {
      # The path is validated by blueprint and single-quoted: no shell expansion.
      command     = ["CMD-SHELL", "curl -fsS 'http://localhost:${each.value.port}${each.value.health.path}' >/dev/null || wget -q -O /dev/null 'http://localhost:${each.value.port}${each.value.health.path}' || exit 1"]
      interval    = each.value.health.interval
      timeout     = each.value.health.timeout
      retries     = each.value.health.retries
      startPeriod = each.value.health.grace
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.workload[each.key].name
        awslogs-region        = local.region
        awslogs-stream-prefix = "app"
      }
    }
  } : key => value if value != null }])

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}
