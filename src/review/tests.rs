//! The review on small synthetic inputs of every format.

use super::*;

fn run(path: &str, old: Option<&str>, new: Option<&str>) -> Review {
    review(&[FileChange {
        path,
        old: old.map(str::as_bytes),
        new: new.map(str::as_bytes),
    }])
}

fn details(r: &Review) -> Vec<String> {
    r.widenings
        .iter()
        .map(|w| format!("{} | {}", w.grant.address, w.grant.detail))
        .collect()
}

fn changes(r: &Review) -> Vec<String> {
    r.resources
        .iter()
        .map(|c| format!("{:?} {}", c.action, c.address))
        .collect()
}

// ---- Terraform: plain resources (the EKS shape) ----

const ROLE_OLD: &str = r#"
resource "aws_iam_role_policy" "app" {
  name = "app"
  role = aws_iam_role.app.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["sqs:SendMessage"]
      Resource = aws_sqs_queue.orders.arn
    }]
  })
}

resource "aws_security_group" "nodes" {
  name = "nodes"
  ingress {
    protocol    = "tcp"
    from_port   = 443
    to_port     = 443
    cidr_blocks = ["10.0.0.0/16"]
  }
}

resource "aws_sqs_queue" "orders" {
  name = "orders"
}
"#;

#[test]
fn terraform_broadened_policy_and_new_ingress_are_widening() {
    let new = ROLE_OLD
        .replace(
            r#"Action   = ["sqs:SendMessage"]"#,
            r#"Action   = ["sqs:SendMessage", "sqs:*"]"#,
        )
        .replace(
            r#"cidr_blocks = ["10.0.0.0/16"]"#,
            r#"cidr_blocks = ["10.0.0.0/16", "0.0.0.0/0"]"#,
        )
        + r#"
resource "aws_vpc_security_group_ingress_rule" "db" {
  security_group_id            = aws_security_group.db.id
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.nodes.id
}

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["pods.eks.amazonaws.com"]
    }
  }
}
"#;
    let r = run("eks/cluster/main.tf", Some(ROLE_OLD), Some(&new));
    assert_eq!(
        changes(&r),
        [
            "Change aws_iam_role_policy.app",
            "Change aws_security_group.nodes",
            "Add aws_vpc_security_group_ingress_rule.db",
            "Add data.aws_iam_policy_document.assume",
        ]
    );
    assert_eq!(
        details(&r),
        [
            "aws_iam_role_policy.app | allow sqs:* on aws_sqs_queue.orders.arn (wildcard)",
            "aws_security_group.nodes | ingress tcp/443 from 0.0.0.0/0",
            "aws_vpc_security_group_ingress_rule.db | ingress tcp/5432 into aws_security_group.db.id from aws_security_group.nodes.id",
            "data.aws_iam_policy_document.assume | allow Service:pods.eks.amazonaws.com sts:AssumeRole on this resource",
        ]
    );
    assert!(r.widenings.iter().all(|w| w.scope == "eks/cluster"));
}

#[test]
fn terraform_narrowing_and_unrelated_changes_are_not_widening() {
    let new = ROLE_OLD.replace(r#"name = "orders""#, r#"name = "orders-v2""#);
    let r = run("main.tf", Some(ROLE_OLD), Some(&new));
    assert_eq!(changes(&r), ["Change aws_sqs_queue.orders"]);
    assert!(r.widenings.is_empty(), "{r}");
    // Removing everything widens nothing.
    let r = run("main.tf", Some(ROLE_OLD), None);
    assert_eq!(r.count(Action::Remove), 3);
    assert!(r.widenings.is_empty());
    assert!(r.to_string().contains("Security: no change widens access"));
}

#[test]
fn terraform_policy_as_a_json_string_and_a_public_cluster() {
    let new = r#"
resource "aws_iam_policy" "p" {
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
EOF
}
resource "aws_eks_cluster" "this" {
  name = "c"
  vpc_config {
    subnet_ids = ["subnet-1"]
  }
}
"#;
    let r = run("main.tf", None, Some(new));
    assert_eq!(
        details(&r),
        [
            "aws_eks_cluster.this | public Kubernetes API endpoint from 0.0.0.0/0",
            "aws_iam_policy.p | allow s3:GetObject on arn:aws:s3:::b/*",
        ]
    );
}

#[test]
fn a_file_that_does_not_parse_is_named_not_guessed() {
    let r = run("prod/main.tf", Some("resource \"a\" {"), Some(ROLE_OLD));
    assert!(r.resources.is_empty());
    assert_eq!(r.skipped.len(), 1);
    assert!(r.skipped[0].starts_with("prod/main.tf: the file on disk is not valid Terraform"));
}

// ---- Terraform: blueprint's ECS platform module ----

const ECS_OLD: &str = r#"
module "shared" {
  source          = "../modules/platform"
  name            = "shop-prod"
  certificate_arn = var.certificate_arn
  domain_name     = var.domain_name
  iam_actions = {
    queue_publish = ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    secret_read   = ["secretsmanager:GetSecretValue"]
  }
  queues = {
    "globex-orders" = { name = "shop-prod-globex-orders", dead_letter = { name = "dlq", max_receive_count = 5 } }
  }
  services = {
    "globex-api" = {
      name          = "shop-prod-globex-api"
      image_tag     = var.api_image_tag
      port          = 8080
      public        = true
      routes        = ["/api"]
      host_prefix   = "globex"
      rule_priority = 100
      min_count     = 1
      max_count     = 1
    }
    "globex-payments" = {
      name      = "shop-prod-globex-payments"
      port      = 9000
      min_count = 1
      max_count = 1
    }
  }
}
"#;

#[test]
fn ecs_module_entries_map_to_module_resources_and_grants() {
    let new = ECS_OLD
        .replace(
            r#"routes        = ["/api"]"#,
            "routes        = [\"/\", \"/api\"]\n      calls = [\"globex-payments\"]\n      publishes = [\"globex-orders\"]\n      secrets = { \"DB\" = \"prod/db\" }\n      secret_grants = [\"prod/db-??????\"]",
        )
        .replace(
            "      port      = 9000\n",
            "      port      = 9000\n      public    = true\n      routes    = [\"/pay\"]\n",
        );
    let r = run("prod/main.tf", Some(ECS_OLD), Some(&new));
    let d = details(&r);
    let expect = [
        r#"module.shared.aws_iam_role_policy.execution_secrets["globex-api"] | allow secretsmanager:GetSecretValue on secret prod/db-?????? (for globex-api)"#,
        r#"module.shared.aws_iam_role_policy.task_queues["globex-api"] | allow sqs:GetQueueAttributes, sqs:SendMessage on queue globex-orders (for globex-api)"#,
        r#"module.shared.aws_lb_listener_rule.route["globex-api#0"] | globex.<domain_name> /* forwards to globex-api"#,
        r#"module.shared.aws_lb_listener_rule.route["globex-payments#0"] | any host /pay and /pay/* forwards to globex-payments"#,
        r#"module.shared.aws_lb_target_group.service["globex-payments"] | service globex-payments is reachable from the internet through the load balancer"#,
        r#"module.shared.aws_vpc_security_group_ingress_rule.calls["globex-api>globex-payments"] | ingress tcp/9000 into globex-payments from globex-api"#,
        r#"module.shared.aws_vpc_security_group_ingress_rule.from_load_balancer["globex-payments"] | ingress tcp/9000 into globex-payments from the load balancer"#,
    ];
    assert_eq!(d, expect, "{r}");
    // `/api` moved from route #0 to #1: not a new exposure.
    assert!(!d.iter().any(|x| x.contains("/api and")), "{d:?}");
    let c = changes(&r);
    for needle in [
        r#"Add module.shared.aws_lb_listener_rule.route["globex-api#1"]"#,
        r#"Change module.shared.aws_lb_listener_rule.route["globex-api#0"]"#,
        r#"Change module.shared.aws_ecs_service.this["globex-payments"]"#,
        r#"Add module.shared.aws_vpc_security_group_egress_rule.calls["globex-api>globex-payments"]"#,
        r#"Change module.shared.aws_ecs_task_definition.workload["globex-api"]"#,
    ] {
        assert!(c.iter().any(|x| x == needle), "{needle} in {c:#?}");
    }
    // The shared load balancer existed already: not added again.
    assert!(!c.iter().any(|x| x.contains("aws_lb.public")), "{c:#?}");
}

#[test]
fn ecs_a_new_public_platform_opens_the_load_balancer() {
    let old = ECS_OLD.replace("public        = true\n", "");
    let r = run("prod/main.tf", Some(&old), Some(ECS_OLD));
    let d = details(&r);
    for needle in [
        "module.shared.aws_lb.public[0] | internet-facing load balancer",
        "module.shared.aws_vpc_security_group_ingress_rule.load_balancer_https[0] | ingress tcp/443 into the load balancer from 0.0.0.0/0 (HTTPS)",
        r#"module.shared.aws_lb_listener_rule.route["globex-api#0"] | globex.<domain_name> /api and /api/* forwards to globex-api"#,
    ] {
        assert!(d.iter().any(|x| x == needle), "{needle} in {d:#?}");
    }
    // An image tag change makes a new revision of the task definition,
    // which the service then runs.
    let new = ECS_OLD.replace("var.api_image_tag", "var.api_image_tag_globex");
    let r = run("prod/main.tf", Some(ECS_OLD), Some(&new));
    assert_eq!(
        changes(&r),
        [
            r#"Change module.shared.aws_ecs_service.this["globex-api"]"#,
            r#"Change module.shared.aws_ecs_task_definition.workload["globex-api"]"#
        ]
    );
    assert!(r.widenings.is_empty());
}

const ECS_VARIABLES: &str = r#"
variable "api_image_tag" {
  type    = string
  default = "1.4.2"
}
"#;

/// A root's files are read together: when only a variable default changes
/// (CI's image bump), the module entries that name the variable change.
#[test]
fn ecs_a_changed_variable_default_changes_the_resources_that_use_it() {
    let bumped = ECS_VARIABLES.replace("1.4.2", "1.4.3");
    let r = review(&[
        FileChange {
            path: "prod/main.tf",
            old: Some(ECS_OLD.as_bytes()),
            new: Some(ECS_OLD.as_bytes()),
        },
        FileChange {
            path: "prod/variables.tf",
            old: Some(ECS_VARIABLES.as_bytes()),
            new: Some(bumped.as_bytes()),
        },
    ]);
    assert_eq!(
        changes(&r),
        [
            r#"Change module.shared.aws_ecs_service.this["globex-api"]"#,
            r#"Change module.shared.aws_ecs_task_definition.workload["globex-api"]"#
        ],
        "{r}"
    );
    // Context alone changes nothing.
    let r = review(&[FileChange {
        path: "prod/main.tf",
        old: Some(ECS_OLD.as_bytes()),
        new: Some(ECS_OLD.as_bytes()),
    }]);
    assert!(r.resources.is_empty(), "{r}");
}

/// A service that starts autoscaling (max > min) is the module's
/// `aws_ecs_service.scaled`; the scaling change shows on its target.
#[test]
fn ecs_scaling_changes_show_on_the_service_and_its_target() {
    let scaled = ECS_OLD.replacen("max_count     = 1", "max_count     = 4", 1);
    let r = run("prod/main.tf", Some(ECS_OLD), Some(&scaled));
    let c = changes(&r);
    for needle in [
        r#"Remove module.shared.aws_ecs_service.this["globex-api"]"#,
        r#"Add module.shared.aws_ecs_service.scaled["globex-api"]"#,
        r#"Add module.shared.aws_appautoscaling_target.service["globex-api"]"#,
    ] {
        assert!(c.iter().any(|x| x == needle), "{needle} in {c:#?}");
    }
}

// ---- Kubernetes YAML ----

const KUBE_OLD: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: api, namespace: globex }
spec:
  podSelector: { matchLabels: { app: api } }
  ingress:
    - from: [{ podSelector: { matchLabels: { app: web } } }]
      ports: [{ port: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: globex }
spec:
  ports: [{ port: 80 }]
"#;

#[test]
fn kubernetes_allowances_ingress_paths_load_balancers_and_rbac() {
    let new = KUBE_OLD
        .replace(
            "    - from: [{ podSelector: { matchLabels: { app: web } } }]",
            "    - from: [{ podSelector: { matchLabels: { app: web } } }, { namespaceSelector: {} }]",
        )
        .replace("spec:\n  ports: [{ port: 80 }]", "spec:\n  type: LoadBalancer\n  ports: [{ port: 80 }]")
        + r#"---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: api, namespace: globex }
spec:
  rules:
    - host: globex.example.com
      http:
        paths:
          - { path: /api, pathType: Prefix, backend: { service: { name: api, port: { number: 80 } } } }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: reader, namespace: globex }
rules:
  - { apiGroups: [""], resources: [secrets], verbs: [get] }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: reader, namespace: globex }
roleRef: { kind: Role, name: reader, apiGroup: rbac.authorization.k8s.io }
subjects: [{ kind: ServiceAccount, name: api, namespace: globex }]
"#;
    let r = run("eks/base/globex.yaml", Some(KUBE_OLD), Some(&new));
    assert_eq!(
        details(&r),
        [
            "Ingress/globex/api | globex.example.com /api (Prefix) forwards to service api:80",
            "NetworkPolicy/globex/api | ingress into pods app=api from every namespace on TCP/8080",
            "Role/globex/reader | allow get on secrets",
            "RoleBinding/globex/reader | bind ServiceAccount globex/api to Role reader",
            "Service/globex/api | type LoadBalancer exposes TCP/80",
        ]
    );
    assert_eq!(r.widenings[0].scope, "eks/base");
    assert_eq!(r.count(Action::Add), 3);
    assert_eq!(r.count(Action::Change), 2);
}

// ---- CloudFormation JSON ----

const CFN_OLD: &str = r#"{
 "Resources": {
  "ApiRole": {
   "Type": "AWS::IAM::Role",
   "Properties": {
    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
    "Policies": [{"PolicyName": "q", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}]}}]
   }
  },
  "Orders": {"Type": "AWS::SQS::Queue"}
 }
}"#;

#[test]
fn cloudformation_statements_permissions_and_routes() {
    let new = CFN_OLD
        .replace(
            r#""Action": ["sqs:SendMessage"]"#,
            r#""Action": ["sqs:SendMessage", "sqs:ReceiveMessage"]"#,
        )
        .replace(
            r#""Orders": {"Type": "AWS::SQS::Queue"}"#,
            r#""Orders": {"Type": "AWS::SQS::Queue"},
  "ApiInvoke": {"Type": "AWS::Lambda::Permission", "Properties": {"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Api"}, "Principal": "apigateway.amazonaws.com"}},
  "ApiRoute": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Http"}, "RouteKey": "ANY /api/{proxy+}"}},
  "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"}]}}"#,
        );
    let r = run("lambda/prod.template.json", Some(CFN_OLD), Some(&new));
    assert_eq!(
        details(&r),
        [
            r#"ApiInvoke (AWS::Lambda::Permission) | apigateway.amazonaws.com may lambda:InvokeFunction on {"Ref":"Api"}"#,
            r#"ApiRole (AWS::IAM::Role) | allow sqs:ReceiveMessage on {"Fn::GetAtt":["Orders","Arn"]}"#,
            "ApiRoute (AWS::ApiGatewayV2::Route) | route ANY /api/{proxy+} (authorization NONE)",
            "Sg (AWS::EC2::SecurityGroup) | ingress tcp/443 from 0.0.0.0/0",
        ]
    );
    assert_eq!(r.widenings[0].scope, "lambda/prod.template.json");
    // JSON that is not a template is not analysed, and not an error.
    let r = run("x/.blueprint-manifest.json", Some("{}"), Some("{\"a\": 1}"));
    assert_eq!(r, Review::default());
}

#[test]
fn the_summary_prints_every_part_in_order() {
    let r = run("prod/main.tf", None, Some(ROLE_OLD));
    assert_eq!(
        r.to_string(),
        "Resources: 3 to add, 0 to change, 0 to remove\n  \
         + prod: aws_iam_role_policy.app\n  \
         + prod: aws_security_group.nodes\n  \
         + prod: aws_sqs_queue.orders\n\
         \n\
         Security: 2 changes widen access\n  \
         ! prod: aws_iam_role_policy.app\n      \
         iam: allow sqs:SendMessage on aws_sqs_queue.orders.arn\n  \
         ! prod: aws_security_group.nodes\n      \
         network: ingress tcp/443 from 10.0.0.0/16\n"
    );
}

/// The expansion names only resources the platform module declares, and
/// the bundled blueprints' roots (with the optional inputs set, for what
/// only they turn on) reach every resource the module declares.
#[test]
fn ecs_expansion_matches_the_platform_module() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut declared = BTreeSet::new();
    // The module as render writes it (it includes templates/shared/queues.tf).
    let module = root.join("golden/commerce/ecs/modules/platform");
    for e in std::fs::read_dir(&module).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "tf") {
            let body = hcl::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
            declared.extend(
                hcl::root_inventory(&[&body])
                    .resources
                    .into_keys()
                    .filter(|a| !a.starts_with("data.")),
            );
        }
    }
    // Every root of every golden tree, and commerce's prod with the inputs
    // that are off by default given.
    let mut roots: Vec<Vec<String>> = Vec::new();
    for golden in ["commerce", "saas", "minimal"] {
        let dir = root.join(format!("golden/{golden}/ecs"));
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let env = e.path();
            if !env.is_dir() || env.ends_with("modules") {
                continue;
            }
            let mut files = Vec::new();
            for f in std::fs::read_dir(&env).unwrap().flatten() {
                if f.path().extension().is_some_and(|x| x == "tf") {
                    files.push(std::fs::read_to_string(f.path()).unwrap());
                }
            }
            roots.push(files);
        }
    }
    let prod = root.join("golden/commerce/ecs/prod/main.tf");
    let given = std::fs::read_to_string(prod)
        .unwrap()
        .replace(
            "var.waf_web_acl_arn",
            "\"arn:aws:wafv2:eu-central-1:111122223333:regional/webacl/x/1\"",
        )
        .replace("= var.route53_zone_id\n", "= \"Z0123456789\"\n");
    roots.push(vec![given]);
    let mut reached = BTreeSet::new();
    for files in &roots {
        let bodies: Vec<_> = files.iter().map(|t| hcl::parse(t).unwrap()).collect();
        let bodies: Vec<_> = bodies.iter().collect();
        for addr in hcl::root_inventory(&bodies).resources.into_keys() {
            if !addr.starts_with("module.") {
                continue;
            }
            // module.<name>.<type>.<name>[key]
            let rest = addr.splitn(3, '.').nth(2).unwrap();
            let plain = rest.split('[').next().unwrap().to_string();
            assert!(declared.contains(&plain), "{addr}: not in the module");
            reached.insert(plain);
        }
    }
    let missed: Vec<_> = declared.difference(&reached).collect();
    assert!(
        missed.is_empty(),
        "module resources never expanded: {missed:?}"
    );
}
