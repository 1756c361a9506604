# One security group per workload. Ingress comes only from the load balancer
# (public services) and from the workloads that `calls` it; egress is HTTPS
# (AWS APIs, registries) plus the services it calls.
resource "aws_security_group" "workload" {
  for_each    = local.workloads
  name        = each.value.security_group
  description = "Tasks of ${each.value.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = each.value.security_group }, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each          = local.workloads
  security_group_id = aws_security_group.workload[each.key].id
  description       = "HTTPS to AWS APIs and image registries"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "calls" {
  for_each                     = local.calls
  security_group_id            = aws_security_group.workload[each.value.to].id
  description                  = "Calls from ${each.value.from}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.workload[each.value.from].id
}

resource "aws_vpc_security_group_egress_rule" "calls" {
  for_each                     = local.calls
  security_group_id            = aws_security_group.workload[each.value.from].id
  description                  = "Calls to ${each.value.to}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.workload[each.value.to].id
}

resource "aws_vpc_security_group_ingress_rule" "from_load_balancer" {
  for_each                     = local.public
  security_group_id            = aws_security_group.workload[each.key].id
  description                  = "Traffic from the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.load_balancer[0].id
}
