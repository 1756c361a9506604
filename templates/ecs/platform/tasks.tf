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
  for_each = { for k, w in local.workloads : k => w if length(w.secret_grants) > 0 || local.registry_credentials[k] != null }
  name     = "read-own-secrets"
  role     = aws_iam_role.execution[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "ReadOwnSecrets"
        Effect   = "Allow"
        Action   = var.iam_actions.secret_read
        Resource = sort(distinct(compact(concat(local.secret_grants[each.key], [local.registry_credentials[each.key]]))))
      }],
      # Secrets encrypted with a customer-managed key: decrypt through
      # Secrets Manager only.
      length(var.secrets_kms_key_arns) == 0 ? [] : [{
        Sid       = "DecryptOwnSecrets"
        Effect    = "Allow"
        Action    = var.iam_actions.kms_decrypt
        Resource  = sort(var.secrets_kms_key_arns)
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${local.region}.amazonaws.com" } }
      }],
    )
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

# ECS Exec: the SSM agent's channels, the session key, and the exec log
# group (the cluster logs sessions with logging = OVERRIDE, written with
# the task role).
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
        Action   = var.iam_actions.exec_channels
        Resource = "*"
      },
      {
        Sid      = "ExecSessionKey"
        Effect   = "Allow"
        Action   = var.iam_actions.kms_decrypt
        Resource = aws_kms_key.platform.arn
      },
      {
        # The agent checks that the log group exists and is encrypted;
        # DescribeLogGroups has no resource-level permissions.
        Sid      = "ExecLogGroups"
        Effect   = "Allow"
        Action   = var.iam_actions.exec_log_groups
        Resource = "*"
      },
      {
        Sid      = "ExecSessionLogs"
        Effect   = "Allow"
        Action   = var.iam_actions.exec_log_streams
        Resource = "${aws_cloudwatch_log_group.exec.arn}:*"
      },
    ]
  })
}

locals {
  # Both containers of a task mount its scratch volumes and log to its group.
  scratch_mounts = {
    for k, w in local.workloads : k => concat(
      [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }],
      [for i, p in w.scratch_paths : { sourceVolume = "scratch-${i}", containerPath = p, readOnly = false }],
    )
  }
  # A stateful service's file system, read-write at its storage path.
  storage_mounts = {
    for k, w in local.workloads : k => w.storage == null ? [] : [{ sourceVolume = "storage", containerPath = w.storage.path, readOnly = false }]
  }
  log_options = {
    for k, w in local.workloads : k => {
      awslogs-group  = aws_cloudwatch_log_group.workload[k].name
      awslogs-region = local.region
    }
  }
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

  # The root filesystem is read-only. Scratch space: /tmp, the workload's
  # writable_paths and, for services, what the ECS Exec agent writes to;
  # a stateful service's storage path is its EFS file system.
  volume {
    name = "tmp"
  }

  dynamic "volume" {
    for_each = each.value.scratch_paths
    content {
      name = "scratch-${volume.key}"
    }
  }

  # A stateful service's EFS file system (storage.tf), through its access
  # point, over TLS, as the task role: the mount fails without them.
  dynamic "volume" {
    for_each = each.value.storage == null ? [] : [each.key]
    content {
      name = "storage"

      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.service[volume.value].id
        transit_encryption = "ENABLED"

        authorization_config {
          access_point_id = aws_efs_access_point.service[volume.value].id
          iam             = "ENABLED"
        }
      }
    }
  }

  container_definitions = jsonencode([
    # Fargate creates bind mounts owned by root with mode 0755; this
    # init container opens them to the app's user (sticky, like /tmp)
    # and exits before the app starts.
    {
      name                   = "scratch"
      image                  = var.scratch_image
      essential              = false
      readonlyRootFilesystem = true
      command                = concat(["chmod", "1777", "/tmp"], each.value.scratch_paths)
      mountPoints            = local.scratch_mounts[each.key]
      logConfiguration       = { logDriver = "awslogs", options = merge(local.log_options[each.key], { awslogs-stream-prefix = "scratch" }) }
    },
    { for key, value in {
      name                   = "app"
      image                  = each.value.image
      essential              = true
      readonlyRootFilesystem = true
      command                = each.value.command
      dependsOn              = [{ containerName = "scratch", condition = "SUCCESS" }]
      repositoryCredentials  = local.registry_credentials[each.key] == null ? null : { credentialsParameter = local.registry_credentials[each.key] }
      # The blueprint's env and the runtime contract (docs/runtime-contract.md),
      # with each queue URL resolved to this copy's queue.
      environment     = [for k, v in merge(each.value.environment, { for name, q in each.value.queue_urls : name => aws_sqs_queue.this[q].url }) : { name = k, value = v }]
      secrets         = [for k in sort(keys(each.value.secrets)) : { name = k, valueFrom = local.value_from[each.value.secrets[k]] }]
      portMappings    = each.value.port == null ? [] : [{ name = "http", containerPort = each.value.port, protocol = "tcp" }]
      mountPoints     = concat(local.scratch_mounts[each.key], local.storage_mounts[each.key])
      linuxParameters = { initProcessEnabled = true }
      # No container health check: it would run a command (curl, wget)
      # that the image may not have. Public services are checked by their
      # target group's HTTP check.
      logConfiguration = { logDriver = "awslogs", options = merge(local.log_options[each.key], { awslogs-stream-prefix = "app" }) }
    } : key => value if value != null },
  ])

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}
