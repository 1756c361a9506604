# The internet-facing Application Load Balancer, created only when a
# service is public: HTTPS with TLS 1.3/1.2, HTTP redirected to HTTPS.
resource "aws_security_group" "load_balancer" {
  count       = local.has_public ? 1 : 0
  name        = var.names.load_balancer_security_group
  description = "Internet-facing load balancer of ${var.names.cluster}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.names.load_balancer_security_group })
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer_https" {
  count             = local.has_public ? 1 : 0
  security_group_id = aws_security_group.load_balancer[0].id
  description       = "HTTPS from the internet"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "load_balancer_http" {
  # checkov:skip=CKV_AWS_260: port 80 only answers with a redirect to HTTPS
  count             = local.has_public ? 1 : 0
  security_group_id = aws_security_group.load_balancer[0].id
  description       = "HTTP from the internet, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "load_balancer_to_service" {
  for_each                     = local.public
  security_group_id            = aws_security_group.load_balancer[0].id
  description                  = "To ${each.value.name}"
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  referenced_security_group_id = aws_security_group.workload[each.key].id
}

resource "aws_lb" "public" {
  # checkov:skip=CKV_AWS_91: access logs need an S3 bucket the platform team owns; enable them there
  # checkov:skip=CKV2_AWS_28: the WAF web ACL is organisation policy; associate it outside this module
  count                      = local.has_public ? 1 : 0
  name                       = var.names.load_balancer
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.load_balancer[0].id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  tags                       = var.tags
}

resource "aws_lb_listener" "https" {
  count             = local.has_public ? 1 : 0
  load_balancer_arn = aws_lb.public[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "Not found"
      status_code  = "404"
    }
  }
}

resource "aws_lb_listener" "http" {
  count             = local.has_public ? 1 : 0
  load_balancer_arn = aws_lb.public[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_target_group" "service" {
  # checkov:skip=CKV_AWS_378: TLS ends at the load balancer; traffic to tasks stays inside the VPC, guarded by security groups
  for_each             = local.public
  name                 = each.value.target_group
  port                 = each.value.port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = each.value.health == null ? "/" : each.value.health.path
    interval            = each.value.health == null ? 30 : each.value.health.interval
    timeout             = each.value.health == null ? 5 : each.value.health.timeout
    healthy_threshold   = 2
    unhealthy_threshold = each.value.health == null ? 3 : max(2, each.value.health.retries)
    matcher             = "200-399"
  }

  tags = merge(var.tags, each.value.tenant == null ? {} : { tenant = each.value.tenant })
}

resource "aws_lb_listener_rule" "route" {
  for_each     = local.public_routes
  listener_arn = aws_lb_listener.https[0].arn
  priority     = each.value.priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.service[each.value.service].arn
  }

  condition {
    path_pattern {
      values = each.value.paths
    }
  }

  dynamic "condition" {
    for_each = each.value.host == null ? [] : [each.value.host]
    content {
      host_header {
        values = [condition.value]
      }
    }
  }

  tags = var.tags
}
