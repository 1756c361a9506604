# Secrets reach pods as Kubernetes Secrets that the External Secrets
# Operator (external-secrets/external-secrets, bound with Pod Identity)
# materialises from Secrets Manager. The operator's own role may do nothing
# but assume the tenants' secrets roles. Each tenant's role reads that
# tenant's secrets only, and trusts the operator only for ExternalSecrets of
# the tenant's own namespace: its SecretStore has `sessionTagsPolicy:
# Simple`, which tags the session with the ExternalSecret's namespace
# (`esoNamespace`).

locals {
  # Secrets arrive as ARNs or ARN patterns (blueprint appends the `-??????`
  # of Secrets Manager's random suffix where the ARN lacks it); names are
  # prefixed with this account's and region's ARN.
  secret_arn_prefix = "arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:"
  secret_store_arns = {
    for k, s in var.secret_stores : k => [
      for x in s.secrets : startswith(x, "arn:") ? x : "${local.secret_arn_prefix}${x}"
    ]
  }
  has_secret_stores = length(var.secret_stores) > 0
}

resource "aws_iam_role" "external_secrets" {
  count              = local.has_secret_stores ? 1 : 0
  name               = var.names.external_secrets_role
  assume_role_policy = data.aws_iam_policy_document.pod_identity_trust.json
  tags               = var.tags
}

data "aws_iam_policy_document" "external_secrets" {
  count = local.has_secret_stores ? 1 : 0

  statement {
    sid       = "AssumeTenantSecretsRoles"
    actions   = var.role_chain_actions
    resources = [for r in aws_iam_role.secret_store : r.arn]
  }
}

resource "aws_iam_role_policy" "external_secrets" {
  count  = local.has_secret_stores ? 1 : 0
  name   = "assume-tenant-secrets-roles"
  role   = aws_iam_role.external_secrets[0].id
  policy = data.aws_iam_policy_document.external_secrets[0].json
}

resource "aws_eks_pod_identity_association" "external_secrets" {
  count           = local.has_secret_stores ? 1 : 0
  cluster_name    = aws_eks_cluster.this.name
  namespace       = "external-secrets"
  service_account = "external-secrets"
  role_arn        = aws_iam_role.external_secrets[0].arn
  tags            = var.tags
}

data "aws_iam_policy_document" "secret_store_trust" {
  for_each = var.secret_stores

  statement {
    sid     = "ExternalSecretsOfThisNamespace"
    actions = var.role_chain_actions

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.external_secrets[0].arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/esoNamespace"
      values   = [each.value.namespace]
    }
  }
}

resource "aws_iam_role" "secret_store" {
  for_each           = var.secret_stores
  name               = each.value.role_name
  assume_role_policy = data.aws_iam_policy_document.secret_store_trust[each.key].json
  tags               = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

data "aws_iam_policy_document" "secret_store" {
  for_each = var.secret_stores

  statement {
    sid       = "ReadTenantSecrets"
    actions   = var.iam_actions.secret_read
    resources = local.secret_store_arns[each.key]
  }
}

resource "aws_iam_role_policy" "secret_store" {
  for_each = var.secret_stores
  name     = "read-tenant-secrets"
  role     = aws_iam_role.secret_store[each.key].id
  policy   = data.aws_iam_policy_document.secret_store[each.key].json
}
