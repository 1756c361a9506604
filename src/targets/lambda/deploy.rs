//! `deploy.sh`: the commands that deploy the assembly as it is written,
//! environment by environment, with the AWS CLI. Per environment it checks
//! the account's Lambda concurrency quota against what the functions
//! reserve, sets up the ECR pull-through cache rules its images come
//! through and pulls each image once, then deploys every stack in the
//! order of `manifest.json`'s dependencies: through S3 when the template is
//! over CloudFormation's inline limit, with every parameter that has no
//! default, and with the alarm topic and log retention when they are set.
//!
//! The script is generated text like every other file: the same blueprint
//! gives the same bytes. Everything taken from the blueprint is quoted for
//! the shell ([`quote`]).

use super::copy::Param;
use crate::aws::names::lambda::{self as names, CacheRule};
use crate::model::Model;
use std::collections::BTreeSet;
use std::fmt::Write;

/// Where the script is written, at the root of the output folder.
pub const PATH: &str = "deploy.sh";

/// One stack to deploy, as the layout planned it.
pub struct Stack {
    pub name: String,
    pub file: String,
    /// Whether its template may be over the inline limit.
    pub s3: bool,
    /// The parameters it declares ([`Param::bit`]s).
    pub params: u8,
}

/// One environment: its stacks in dependency order, the executions its
/// functions reserve, and the images that come through a pull-through
/// cache (rule, path after the rule's prefix).
pub struct Environment {
    pub name: String,
    pub stacks: Vec<Stack>,
    pub reserved: u64,
    pub cached: BTreeSet<(&'static str, String)>,
}

/// The script's own functions: `need` stops with what to set, and
/// `concurrency` checks that the account's quota holds what an
/// environment reserves (`{unreserved}`: what Lambda keeps unreserved).
const FUNCTIONS: &str = r#"
# need NAME VALUE WHAT: stop unless VALUE is set.
need() {
  if [ -z "$2" ]; then
    echo "deploy.sh: set $1 to $3" >&2
    exit 2
  fi
}

# concurrency ENVIRONMENT RESERVED: Lambda keeps {unreserved} executions of an account
# unreserved, so the account's quota must hold what the functions reserve and those.
concurrency() {
  quota=$(aws lambda get-account-settings --region "$region" --query AccountLimit.ConcurrentExecutions --output text)
  if [ "$quota" -lt $(($2 + {unreserved})) ]; then
    echo "deploy.sh: environment $1 reserves $2 concurrent executions and Lambda keeps {unreserved} unreserved, but the account's quota is $quota: request $(($2 + {unreserved})) or more in Service Quotas (AWS Lambda, Concurrent executions)" >&2
    exit 1
  fi
}
"#;

/// The functions for images from other registries: `cache` creates an
/// ECR pull-through cache rule unless it exists, `pull` pulls images
/// through it once (`{domain}`: ECR's domain in the region).
const CACHE_FUNCTIONS: &str = r#"
# cache PREFIX UPSTREAM [CREDENTIAL_VARIABLE CREDENTIAL_ARN]: the pull-through cache rule.
cache() {
  if ! aws ecr describe-pull-through-cache-rules --region "$region" --ecr-repository-prefixes "$1" >/dev/null 2>&1; then
    if [ "$#" -gt 2 ]; then
      need "$3" "$4" "the ARN of a Secrets Manager secret (ecr-pullthroughcache/...) with credentials for $2"
      aws ecr create-pull-through-cache-rule --region "$region" --ecr-repository-prefix "$1" --upstream-registry-url "$2" --credential-arn "$4" >/dev/null
    else
      aws ecr create-pull-through-cache-rule --region "$region" --ecr-repository-prefix "$1" --upstream-registry-url "$2" >/dev/null
    fi
  fi
}

# pull PATH...: each image once through the cache, as <registry>/<prefix>/<path>.
pull() {
  registry="$(aws sts get-caller-identity --query Account --output text).dkr.ecr.$region.{domain}"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry" >/dev/null
  for path in "$@"; do
    docker pull --quiet "$registry/$path" >/dev/null
  done
}
"#;

/// `s` as one shell word: as is when it is plainly safe, else in single
/// quotes (a `'` inside as `'\''`).
pub fn quote(s: &str) -> String {
    let safe = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@,+%".contains(&b));
    if safe {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The environment variable that holds parameter `p`'s value, and what it
/// is, for the script's header.
fn variable(p: Param) -> (&'static str, &'static str) {
    match p {
        Param::Vpc => ("VPC_ID", "the VPC the functions run in (VpcId)"),
        Param::Subnets => (
            "PRIVATE_SUBNET_IDS",
            "its private subnets, comma-separated (PrivateSubnetIds)",
        ),
        Param::AlarmTopic => (
            "ALARM_TOPIC_ARN",
            "optional: the SNS topic the alarms notify (AlarmTopicArn)",
        ),
        Param::Retention => (
            "LOG_RETENTION_DAYS",
            "optional: days CloudWatch Logs keeps the logs (LogRetentionDays)",
        ),
    }
}

fn rule(prefix: &str) -> &'static CacheRule {
    names::CACHE_RULES
        .iter()
        .find(|r| r.prefix == prefix)
        .expect("cached images name one of the rules")
}

/// `51200` -> `51,200`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The `aws cloudformation deploy` command of `st`, on one line.
pub fn command(st: &Stack) -> String {
    let mut c = format!(
        "aws cloudformation deploy --region \"$region\" --stack-name {} --template-file {}",
        quote(&st.name),
        quote(&st.file)
    );
    if st.s3 {
        c.push_str(" --s3-bucket \"$BUCKET\"");
    }
    c.push_str(" --capabilities CAPABILITY_NAMED_IAM --no-fail-on-empty-changeset");
    let has = |p: Param| st.params & p.bit() != 0;
    let mut overrides = Vec::new();
    for p in [Param::Vpc, Param::Subnets] {
        if has(p) {
            overrides.push(format!("\"{}=${}\"", p.id(), variable(p).0));
        }
    }
    if has(Param::AlarmTopic) {
        let (var, _) = variable(Param::AlarmTopic);
        overrides.push(format!("\"{}=${{{var}:-}}\"", Param::AlarmTopic.id()));
    }
    let retention = has(Param::Retention).then(|| {
        let (var, _) = variable(Param::Retention);
        format!("${{{var}:+\"{}=${var}\"}}", Param::Retention.id())
    });
    match (overrides.is_empty(), retention) {
        (false, r) => {
            c.push_str(" --parameter-overrides ");
            c.push_str(&overrides.join(" "));
            if let Some(r) = r {
                c.push(' ');
                c.push_str(&r);
            }
        }
        // Only an optional parameter: the option only when it is set.
        (true, Some(_)) => {
            let (var, _) = variable(Param::Retention);
            let _ = write!(
                c,
                " ${{{var}:+--parameter-overrides \"{}=${var}\"}}",
                Param::Retention.id()
            );
        }
        (true, None) => {}
    }
    c
}

/// The script.
pub fn script(model: &Model, envs: &[Environment]) -> String {
    let region = &model.app.region;
    let domain = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let all: Vec<&Stack> = envs.iter().flat_map(|e| &e.stacks).collect();
    let declared = all.iter().fold(0u8, |m, s| m | s.params);
    let big: Vec<&str> = all
        .iter()
        .filter(|s| s.s3)
        .map(|s| s.name.as_str())
        .collect();
    let rules: BTreeSet<&str> = envs
        .iter()
        .flat_map(|e| e.cached.iter().map(|(r, _)| *r))
        .collect();
    let names: Vec<String> = envs.iter().map(|e| quote(&e.name)).collect();

    let mut s = String::new();
    let line = |s: &mut String, text: &str| {
        s.push_str(text);
        s.push('\n');
    };
    line(&mut s, "#!/bin/sh");
    line(
        &mut s,
        "# Generated by blueprint: render again instead of editing.",
    );
    line(&mut s, "#");
    line(
        &mut s,
        "# Deploys this cloud assembly with the AWS CLI, environment by environment,",
    );
    line(
        &mut s,
        "# each stack after the stacks it imports from (manifest.json's dependencies):",
    );
    line(&mut s, "#");
    let _ = writeln!(
        s,
        "#   sh deploy.sh                 every environment ({})",
        names.join(", ")
    );
    line(
        &mut s,
        "#   sh deploy.sh ENVIRONMENT...  only these, in this order",
    );
    line(&mut s, "#");
    line(&mut s, "# It reads:");
    if !big.is_empty() {
        let _ = writeln!(
            s,
            "#   BUCKET               an S3 bucket in {region} for the templates over {} bytes",
            thousands(names::TEMPLATE_BODY_MAX_BYTES as u64)
        );
        let _ = writeln!(s, "#                        ({})", big.join(", "));
    }
    for p in [
        Param::Vpc,
        Param::Subnets,
        Param::AlarmTopic,
        Param::Retention,
    ] {
        if declared & p.bit() != 0 {
            let (var, what) = variable(p);
            let _ = writeln!(s, "#   {var:<20} {what}");
        }
    }
    for r in &rules {
        if let Some(var) = rule(r).credential {
            let _ = writeln!(
                s,
                "#   {var:<20} the first time: a Secrets Manager secret (ecr-pullthroughcache/...)"
            );
            let _ = writeln!(
                s,
                "#                        with credentials for {}, for ECR's pull-through cache",
                rule(r).upstream
            );
        }
    }
    if !rules.is_empty() {
        line(&mut s, "#");
        line(
            &mut s,
            "# Images from other registries come through ECR pull-through cache rules, which",
        );
        line(
            &mut s,
            "# it creates when missing; it pulls each image once with docker so that ECR",
        );
        line(&mut s, "# holds it before Lambda reads it.");
    }
    line(&mut s, "set -eu");
    line(&mut s, "cd \"$(dirname \"$0\")\"");
    let _ = writeln!(s, "region={}", quote(region));
    s.push_str(&FUNCTIONS.replace(
        "{unreserved}",
        &names::UNRESERVED_CONCURRENCY_MIN.to_string(),
    ));
    if !rules.is_empty() {
        s.push_str(&CACHE_FUNCTIONS.replace("{domain}", domain));
    }
    line(&mut s, "");
    let _ = writeln!(s, "[ \"$#\" -gt 0 ] || set -- {}", names.join(" "));
    line(&mut s, "for environment in \"$@\"; do");
    line(&mut s, "  case \"$environment\" in");
    for e in envs {
        let _ = writeln!(s, "  {})", quote(&e.name));
        if e.stacks.iter().any(|st| st.s3) {
            let _ = writeln!(
                s,
                "    need BUCKET \"${{BUCKET:-}}\" {}",
                quote(&format!(
                    "an S3 bucket in {region} for the templates over {} bytes",
                    thousands(names::TEMPLATE_BODY_MAX_BYTES as u64)
                ))
            );
        }
        let declared = e.stacks.iter().fold(0u8, |m, st| m | st.params);
        for p in [Param::Vpc, Param::Subnets] {
            if declared & p.bit() != 0 {
                let (var, what) = variable(p);
                let _ = writeln!(s, "    need {var} \"${{{var}:-}}\" {}", quote(what));
            }
        }
        if e.reserved > 0 {
            let _ = writeln!(s, "    concurrency {} {}", quote(&e.name), e.reserved);
        }
        let env_rules: BTreeSet<&str> = e.cached.iter().map(|(r, _)| *r).collect();
        for r in &env_rules {
            let r = rule(r);
            match r.credential {
                Some(var) => {
                    let _ = writeln!(
                        s,
                        "    cache {} {} {var} \"${{{var}:-}}\"",
                        quote(r.prefix),
                        quote(r.upstream)
                    );
                }
                None => {
                    let _ = writeln!(s, "    cache {} {}", quote(r.prefix), quote(r.upstream));
                }
            }
        }
        if !e.cached.is_empty() {
            let paths: Vec<String> = e
                .cached
                .iter()
                .map(|(r, path)| quote(&format!("{r}/{path}")))
                .collect();
            let _ = writeln!(s, "    pull {}", paths.join(" "));
        }
        for st in &e.stacks {
            let _ = writeln!(s, "    {}", command(st));
        }
        line(&mut s, "    ;;");
    }
    line(&mut s, "  *)");
    let _ = writeln!(
        s,
        "    echo \"deploy.sh: no environment $environment (there are: {})\" >&2",
        envs.iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    line(&mut s, "    exit 2");
    line(&mut s, "    ;;");
    line(&mut s, "  esac");
    line(&mut s, "done");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_from_the_blueprint_are_quoted_for_the_shell() {
        assert_eq!(quote("Commerce-Prod"), "Commerce-Prod");
        assert_eq!(
            quote("ecr-public/nginx/nginx:1.27"),
            "ecr-public/nginx/nginx:1.27"
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("$(rm -rf /)"), "'$(rm -rf /)'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(thousands(51_200), "51,200");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
    }
}
