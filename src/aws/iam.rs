//! IAM actions as data: what each use of a resource needs, granted the same
//! way on every target. Lists are sorted, so policies render the same
//! whatever the target's own order.

use crate::model::SecretRef;

/// Sending to a queue (and reading the attributes SDKs ask for).
pub const QUEUE_PUBLISH: &[&str] = &["sqs:GetQueueAttributes", "sqs:SendMessage"];

/// Receiving from a queue: receive, delete when done, extend the
/// visibility of a message that takes long (Lambda's event source mapping
/// needs the same minus the extension).
pub const QUEUE_CONSUME: &[&str] = &[
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];

/// Looking a queue's URL up from its name: only where a workload is given
/// the name instead of the URL (see the runtime contract).
pub const QUEUE_LOOKUP: &str = "sqs:GetQueueUrl";

/// The actions on a queue for `publish`/`consume`, plus the URL lookup
/// when the workload only knows the name.
pub fn queue_actions(consume: bool, lookup: bool) -> Vec<&'static str> {
    let mut v: Vec<&str> = if consume {
        QUEUE_CONSUME.to_vec()
    } else {
        QUEUE_PUBLISH.to_vec()
    };
    if lookup {
        v.push(QUEUE_LOOKUP);
        v.sort_unstable();
    }
    v
}

/// Reading a secret's value.
pub const SECRET_READ: &[&str] = &["secretsmanager:GetSecretValue"];

/// Assuming a role from another role's session that carries session tags
/// (EKS Pod Identity's are transitive, and the caller may add its own):
/// the External Secrets Operator assuming a tenant's secrets role.
pub const ROLE_CHAIN: &[&str] = &["sts:AssumeRole", "sts:TagSession"];

/// Invoking a function a workload `calls` (Lambda).
pub const FUNCTION_INVOKE: &[&str] = &["lambda:InvokeFunction"];

/// Sending a failed run to its dead-letter queue (a Lambda function's
/// `DeadLetterConfig`, an EventBridge target's, a schedule's).
pub const DEAD_LETTER_SEND: &[&str] = &["sqs:SendMessage"];

/// Decrypting with a KMS key: a secret's customer-managed key (through
/// Secrets Manager only), an ECS Exec session's key, a Lambda function's
/// environment variables.
pub const KMS_DECRYPT: &[&str] = &["kms:Decrypt"];

/// What CloudWatch Logs does with the key of the log groups it encrypts
/// (a key policy statement for the `logs.<region>.amazonaws.com` principal;
/// CloudWatch Logs User Guide, "Encrypt log data in CloudWatch Logs using
/// AWS KMS").
pub const LOGS_KEY_USE: &[&str] = &[
    "kms:Decrypt*",
    "kms:Describe*",
    "kms:Encrypt*",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
];

/// ECS Exec: the Session Manager channels the agent in the container opens
/// (no resource-level permissions).
pub const EXEC_CHANNELS: &[&str] = &[
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// ECS Exec with session logging to CloudWatch Logs: the agent checks the
/// log group (no resource-level permissions) ...
pub const EXEC_LOG_GROUPS: &[&str] = &["logs:DescribeLogGroups"];

/// ... and writes the session to a stream of it, with the task role.
pub const EXEC_LOG_STREAMS: &[&str] = &[
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
];

/// Starting a job's task (Step Functions `ecs:runTask.sync`).
pub const RUN_TASK: &[&str] = &["ecs:RunTask"];

/// Tagging the task RunTask creates (`PropagateTags`), granted only with
/// the condition `ecs:CreateAction = RunTask`, as AWS's ecsEventsRole does.
pub const TAG_TASK: &[&str] = &["ecs:TagResource"];

/// Waiting for a started task, and stopping it on timeout.
pub const WATCH_TASK: &[&str] = &["ecs:DescribeTasks", "ecs:StopTask"];

/// Handing a task its execution and task roles.
pub const PASS_ROLE: &[&str] = &["iam:PassRole"];

/// The managed EventBridge rule through which `runTask.sync` learns that
/// the task stopped.
pub const TASK_SYNC_RULE: &[&str] = &["events:DescribeRule", "events:PutRule", "events:PutTargets"];

/// Step Functions' delivery of execution logs to CloudWatch Logs (no
/// resource-level permissions).
pub const LOG_DELIVERY: &[&str] = &[
    "logs:CreateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:DescribeLogGroups",
    "logs:DescribeResourcePolicies",
    "logs:GetLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:UpdateLogDelivery",
];

/// X-Ray tracing of state machine executions (no resource-level permissions).
pub const TRACING: &[&str] = &[
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:PutTelemetryRecords",
    "xray:PutTraceSegments",
];

/// A schedule starting its job's state machine.
pub const START_EXECUTION: &[&str] = &["states:StartExecution"];

/// A stateful service's tasks mounting their EFS file system read-write
/// (ECS; granted on that file system only, through its access point). No
/// `ClientRootAccess`: the access point's user is not root.
pub const STORAGE_MOUNT: &[&str] = &[
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientWrite",
];

/// Every NFS client action on an EFS file system: what its file system
/// policy denies to any client without TLS.
pub const STORAGE_CLIENT: &[&str] = &[
    "elasticfilesystem:ClientMount",
    "elasticfilesystem:ClientRootAccess",
    "elasticfilesystem:ClientWrite",
];

/// What Secrets Manager appends to a secret's name in its ARN: `-` and six
/// random characters, matched by this pattern in IAM resources.
pub const SECRET_SUFFIX_PATTERN: &str = "-??????";

/// How a secret is granted in an IAM policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretResource<'a> {
    /// A complete ARN (it ends in `-` and six letters or digits): as written.
    Arn(&'a str),
    /// An ARN without the random suffix: [`SECRET_SUFFIX_PATTERN`] appended.
    PartialArn(&'a str),
    /// A name: the account's and region's ARN prefix, the name, then
    /// [`SECRET_SUFFIX_PATTERN`], whatever the name ends in (`db-abcdef`
    /// is a name, not a name with a suffix).
    Name(&'a str),
}

pub fn secret_resource(s: &SecretRef) -> SecretResource<'_> {
    match s {
        SecretRef::Name(n) => SecretResource::Name(n),
        SecretRef::Arn(a) => {
            let name = a.rsplit_once(":secret:").map_or(a.as_str(), |(_, n)| n);
            let complete = name.len() > 7
                && name.as_bytes()[name.len() - 7] == b'-'
                && name[name.len() - 6..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric());
            if complete {
                SecretResource::Arn(a)
            } else {
                SecretResource::PartialArn(a)
            }
        }
    }
}

/// A secret as an IAM policy resource: a complete ARN as written, any
/// other ARN or a name with [`SECRET_SUFFIX_PATTERN`]; a name stays
/// relative (the module that grants it puts the account's
/// `arn:...:secret:` prefix in front, which only it knows).
pub fn secret_grant(s: &SecretRef) -> String {
    match secret_resource(s) {
        SecretResource::Arn(a) => a.to_string(),
        SecretResource::PartialArn(p) | SecretResource::Name(p) => {
            format!("{p}{SECRET_SUFFIX_PATTERN}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_granted_by_their_complete_arn() {
        let arn = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway/api-key-AbCdEf";
        let s = SecretRef::parse(arn);
        assert_eq!(secret_resource(&s), SecretResource::Arn(arn));
        let partial = "arn:aws:secretsmanager:eu-west-1:111122223333:secret:gateway/api-key";
        let p = SecretRef::parse(partial);
        assert_eq!(secret_resource(&p), SecretResource::PartialArn(partial));
        // A name that looks suffixed is still a name.
        let n = SecretRef::parse("prod/db-abcdef");
        assert_eq!(secret_resource(&n), SecretResource::Name("prod/db-abcdef"));
        assert_eq!(secret_grant(&s), arn);
        assert_eq!(secret_grant(&p), format!("{partial}-??????"));
        assert_eq!(secret_grant(&n), "prod/db-abcdef-??????");
    }

    #[test]
    fn every_action_list_is_sorted() {
        for list in [
            KMS_DECRYPT,
            LOGS_KEY_USE,
            EXEC_CHANNELS,
            EXEC_LOG_GROUPS,
            EXEC_LOG_STREAMS,
            RUN_TASK,
            TAG_TASK,
            WATCH_TASK,
            PASS_ROLE,
            TASK_SYNC_RULE,
            LOG_DELIVERY,
            TRACING,
            START_EXECUTION,
            DEAD_LETTER_SEND,
            STORAGE_MOUNT,
            STORAGE_CLIENT,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn lists_are_sorted_and_lookup_is_only_on_request() {
        for list in [QUEUE_PUBLISH, QUEUE_CONSUME, LOGS_KEY_USE, ROLE_CHAIN] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
        assert!(!queue_actions(false, false).contains(&QUEUE_LOOKUP));
        let v = queue_actions(true, true);
        assert!(v.contains(&QUEUE_LOOKUP) && v.windows(2).all(|w| w[0] < w[1]));
    }
}
