# Stateful services: one EFS file system per service and platform copy,
# mounted at the service's storage path through an access point, with
# TLS in transit and the task role as the only client identity. Every
# task of the service mounts the same file system (EFS is shared, not a
# volume per task), and EFS is elastic: the blueprint's `size` is not a
# quota here, only the cost estimate.
#
# Destroy: removing a stateful service, or destroying the environment,
# deletes its file system (after its mount targets). Nothing here uses
# prevent_destroy, which cannot depend on an input and would block every
# teardown; the backup policy keeps daily recovery points in the
# aws/efs/automatic-backup-vault for 35 days, and they outlive the file
# system. To keep a file system out of a destroy, `terraform state rm` it
# first (docs/ecs.md, "Stateful services").

locals {
  stateful = { for k, s in var.services : k => s if s.storage != null }

  # EFS takes one mount target per Availability Zone (a second one in the
  # same zone is refused): one in the first private subnet of each zone the
  # tasks run in. Tasks in the zone's other subnets reach it through the
  # file system's DNS name, which resolves to the mount target of the
  # caller's zone.
  storage_zones = {
    for zone, subnets in { for id, s in data.aws_subnet.private : s.availability_zone => id... } : zone => sort(subnets)[0]
  }
  mount_targets = merge([for k, s in local.stateful : {
    for zone, subnet in local.storage_zones : "${k}@${zone}" => { service = k, subnet = subnet }
  }]...)
}

data "aws_subnet" "private" {
  for_each = length(local.stateful) > 0 ? toset(var.private_subnet_ids) : toset([])
  id       = each.value
}

# Encrypted with this copy's key (rotated yearly; EFS uses it through a
# grant it creates with the caller's permissions). General Purpose
# performance (the lowest latency, and the only mode Elastic throughput
# runs on) and Elastic throughput: it follows the load, with no burst
# credits to run out of on a small file system, billed per GB read and
# written. No lifecycle transition to Infrequent Access: a stateful
# service's files are its working set, and IA would add a charge and
# latency to every cold read.
resource "aws_efs_file_system" "service" {
  for_each         = local.stateful
  creation_token   = each.value.storage.file_system
  encrypted        = true
  kms_key_id       = aws_kms_key.platform.arn
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"
  tags             = merge(var.tags, { Name = each.value.storage.file_system }, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

# Automatic backups: the EFS default plan in AWS Backup (daily, kept 35
# days, in the aws/efs/automatic-backup-vault, encrypted with the vault's
# key, not this copy's). A backup plan of the platform team's own can add
# the file systems by their tags.
resource "aws_efs_backup_policy" "service" {
  for_each       = local.stateful
  file_system_id = aws_efs_file_system.service[each.key].id

  backup_policy {
    status = "ENABLED"
  }
}

# Any policy replaces EFS's default one, which lets every client that
# reaches a mount target in, with or without an identity: now only an IAM
# principal allowed by its own policy (the task role, below) gets in, and
# only over TLS.
resource "aws_efs_file_system_policy" "service" {
  for_each       = local.stateful
  file_system_id = aws_efs_file_system.service[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyWithoutTls"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = var.iam_actions.storage_client
      Resource  = aws_efs_file_system.service[each.key].arn
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

# The service's one way in: every request through it acts as the POSIX
# user blueprint gives stateful services (never root), in a directory EFS
# creates on first use, owned by that user.
resource "aws_efs_access_point" "service" {
  for_each       = local.stateful
  file_system_id = aws_efs_file_system.service[each.key].id

  posix_user {
    uid = each.value.storage.uid
    gid = each.value.storage.gid
  }

  root_directory {
    path = "/data"

    creation_info {
      owner_uid   = each.value.storage.uid
      owner_gid   = each.value.storage.gid
      permissions = "0750"
    }
  }

  tags = merge(var.tags, { Name = each.value.storage.file_system }, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

# NFS reaches the mount targets only from the service's own tasks.
resource "aws_security_group" "storage" {
  for_each    = local.stateful
  name        = each.value.storage.security_group
  description = "EFS mount targets of ${each.value.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = each.value.storage.security_group }, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_vpc_security_group_ingress_rule" "storage_nfs" {
  for_each                     = local.stateful
  security_group_id            = aws_security_group.storage[each.key].id
  description                  = "NFS from the tasks of ${each.value.name}"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.workload[each.key].id
}

resource "aws_vpc_security_group_egress_rule" "storage_nfs" {
  for_each                     = local.stateful
  security_group_id            = aws_security_group.workload[each.key].id
  description                  = "NFS to the EFS file system of ${each.value.name}"
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  referenced_security_group_id = aws_security_group.storage[each.key].id
}

# The provider waits until each mount target is available (minutes); the
# services wait for them (services.tf).
resource "aws_efs_mount_target" "service" {
  for_each        = local.mount_targets
  file_system_id  = aws_efs_file_system.service[each.value.service].id
  subnet_id       = each.value.subnet
  security_groups = [aws_security_group.storage[each.value.service].id]
}

# The task role may mount and write its own file system, and only through
# its access point (no root access: the access point's user is not root).
resource "aws_iam_role_policy" "task_storage" {
  for_each = local.stateful
  name     = "own-storage"
  role     = aws_iam_role.task[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "MountOwnStorage"
      Effect    = "Allow"
      Action    = var.iam_actions.storage_mount
      Resource  = aws_efs_file_system.service[each.key].arn
      Condition = { StringEquals = { "elasticfilesystem:AccessPointArn" = aws_efs_access_point.service[each.key].arn } }
    }]
  })
}
