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
  # checkov:skip=CKV_AWS_91: access logs go to the platform team's bucket: set the access_logs_bucket input (off while it is null)
  # checkov:skip=CKV2_AWS_28: the web ACL is the organisation's: set the waf_web_acl_arn input (aws_wafv2_web_acl_association below)
  # checkov:skip=CKV2_AWS_76: the web ACL's rules (AWS's Log4j managed rule group among them) are the organisation's, set on the ACL it passes as waf_web_acl_arn
  count                      = local.has_public ? 1 : 0
  name                       = var.names.load_balancer
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.load_balancer[0].id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == null ? [] : [var.access_logs_bucket]
    content {
      bucket  = access_logs.value
      prefix  = var.names.cluster
      enabled = true
    }
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "public" {
  count        = local.has_public && var.waf_web_acl_arn != null ? 1 : 0
  resource_arn = aws_lb.public[0].arn
  web_acl_arn  = var.waf_web_acl_arn
}

# One alias record per host the copy serves, when its zone is given.
resource "aws_route53_record" "public" {
  for_each = var.route53_zone_id == null ? toset([]) : local.hosts
  zone_id  = var.route53_zone_id
  name     = each.value
  type     = "A"

  alias {
    name                   = aws_lb.public[0].dns_name
    zone_id                = aws_lb.public[0].zone_id
    evaluate_target_health = true
  }
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

# A target group's port cannot change in place: its name carries the port
# (blueprint decides it), so a new port makes a new group, created before
# the old one is destroyed; the listener rules and the service move to it
# first, and the old group is no longer in use when it goes.
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

  lifecycle {
    create_before_destroy = true
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
    for_each = each.value.match_host ? [each.value.host] : []
    content {
      host_header {
        values = [condition.value]
      }
    }
  }

  tags = var.tags
}
