variable "name" {
  description = "Cluster name; also the prefix of every AWS name this module creates."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the control plane ENIs and the nodes, in at least two Availability Zones."
  type        = list(string)
}

variable "public_subnet_ids" {
  description = "Public subnets tagged for internet-facing load balancers (empty when no service is public)."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.public_subnet_ids) <= 6
    error_message = "At most 6 public subnets (one per Availability Zone): the tenants' NetworkPolicies name that many."
  }
}

variable "admin_role_arn" {
  description = "IAM role granted cluster-admin through an access entry."
  type        = string
}

variable "network_policy_enforcing_mode" {
  description = "The VPC CNI's NETWORK_POLICY_ENFORCING_MODE: strict (pods start with no traffic allowed until their NetworkPolicies are in place) or standard."
  type        = string
  default     = "strict"

  validation {
    condition     = contains(["strict", "standard"], var.network_policy_enforcing_mode)
    error_message = "network_policy_enforcing_mode is strict or standard."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the tenants' HTTPS listeners, covering every host name in ingress_units (null when no service is public)."
  type        = string
  default     = null
}

variable "domain_name" {
  description = "DNS name the public services are served under: <tenant>.<domain_name> per tenant, or domain_name itself for a single-tenant application."
  type        = string
  default     = null
}

variable "tenant_domains" {
  description = "Tenants (typically dedicated ones) served under a domain of their own, with its certificate, by tenant name."
  type = map(object({
    domain_name     = string
    certificate_arn = string
  }))
  default = {}
}

variable "ingress_units" {
  description = "The GitOps units with public services, by the name of their inputs ConfigMap: the tenant each serves (none for a single-tenant application)."
  type = map(object({
    tenant = optional(string)
  }))
  default = {}
}

variable "lb_subnet_cidr_count" {
  description = "How many lb_subnet_cidr_<i> inputs the tenants' NetworkPolicies name (at least the number of public subnets)."
  type        = number
  default     = 0
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps control-plane logs."
  type        = number
}

variable "system_node_instance_types" {
  description = "Instance types of the small managed node group that runs Karpenter and CoreDNS."
  type        = list(string)
}

variable "names" {
  description = "Names of the AWS resources the cluster has once (KMS alias, log group, IAM roles, Karpenter's interruption queue and rules), decided and length-checked by blueprint; karpenter_node_role is the role the EC2NodeClass names."
  type = object({
    kms_alias             = string
    log_group             = string
    cluster_role          = string
    system_node_role      = string
    karpenter_role        = string
    karpenter_node_role   = string
    karpenter_queue       = string
    karpenter_rules       = map(string)
    keda_role             = string
    ebs_csi_role          = string
    lb_controller_role    = string
    external_secrets_role = string
    inputs_namespace      = string
    inputs_config_map     = string
  })
}

variable "iam_actions" {
  description = "The IAM actions each use of a queue or secret grants, decided once by blueprint for every target."
  type = object({
    queue_publish = list(string)
    queue_consume = list(string)
    secret_read   = list(string)
  })
}

variable "queues" {
  description = "SQS queues, keyed by <tenant>-<queue> (or <queue> for a single-tenant application)."
  type = map(object({
    name                       = string
    tenant                     = optional(string)
    fifo                       = bool
    visibility_timeout_seconds = number
    message_retention_seconds  = number
    dead_letter = optional(object({
      name              = string
      max_receive_count = number
    }))
  }))
  default = {}
}

variable "workloads" {
  description = "One IAM role per service and job, bound to its Kubernetes service account with EKS Pod Identity."
  type = map(object({
    role_name       = string
    tenant          = optional(string)
    namespace       = string
    service_account = string
    publishes       = optional(list(string), [])
    consumes        = optional(list(string), [])
  }))
  default = {}
}

variable "secret_stores" {
  description = "Per tenant namespace with secrets, the role its External Secrets SecretStore assumes and the secrets (ARNs, ARN patterns or names) that role may read."
  type = map(object({
    role_name = string
    tenant    = optional(string)
    namespace = string
    secrets   = list(string)
  }))
  default = {}
}

variable "role_chain_actions" {
  description = "The IAM actions that let the External Secrets Operator's role assume a tenant's secrets role (with the session tags Pod Identity and the SecretStore add)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource (on top of the provider's default tags)."
  type        = map(string)
  default     = {}
}
