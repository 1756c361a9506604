//! The copy's KMS key and the parameters its functions share.

use super::*;
use crate::targets::lambda::copy;

/// Log retention offered by `LogRetentionDays` (CloudWatch Logs' values).
const RETENTION_DAYS: [u64; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The parameters in `mask` (and the condition the alarm topic comes
/// with), as entries of `out`'s sections.
pub fn parameters<O: Out>(mask: u8, out: &mut Sections<O>) {
    let has = |p: Param| mask & p.bit() != 0;
    if has(Param::Retention) {
        out.counts.parameters += 1;
        out.parameters.entry(Param::Retention.id()).object(|o| {
            o.field("Type").str("Number");
            o.field("Default")
                .u64(crate::aws::defaults::LOG_RETENTION_DAYS);
            o.field("AllowedValues").array(|a| {
                for d in RETENTION_DAYS {
                    a.item().u64(d);
                }
            });
            o.field("Description")
                .str("Days CloudWatch Logs keeps function and API access logs");
        });
    }
    if has(Param::Vpc) {
        out.counts.parameters += 1;
        out.parameters.entry(Param::Vpc.id()).object(|o| {
            o.field("Type").str("AWS::EC2::VPC::Id");
            o.field("Description").str("VPC the functions run in");
        });
    }
    if has(Param::Subnets) {
        out.counts.parameters += 1;
        out.parameters.entry(Param::Subnets.id()).object(|o| {
            o.field("Type").str("List<AWS::EC2::Subnet::Id>");
            o.field("Description").str(
                "Private subnets (with a route to AWS APIs, e.g. through NAT) the functions run in",
            );
        });
    }
    if has(Param::AlarmTopic) {
        out.counts.parameters += 1;
        out.parameters.entry(Param::AlarmTopic.id()).object(|o| {
            o.field("Type").str("String");
            o.field("Default").str("");
            o.field("AllowedPattern")
                .str("^(arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]+)?$");
            o.field("Description")
                .str("SNS topic the alarms notify (empty: alarms notify nobody)");
        });
        out.conditions.entry(ALARM_CONDITION).object(|o| {
            o.field("Fn::Not").array(|a| {
                a.item().object(|o| {
                    o.field("Fn::Equals").array(|a| {
                        Ref::Id(Param::AlarmTopic.id()).write(a.item());
                        a.item().str("");
                    })
                })
            })
        });
    }
}

impl<R: Resolve, O: Out> Emitter<'_, '_, R, O> {
    /// The copy's customer managed key (log groups and function
    /// environment variables): kept when the stack is deleted, scheduled
    /// for deletion when its creation fails.
    pub(super) fn shared(&mut self, key: &str) {
        let copy = self.v.copy;
        let tenant = match &self.v.platform.kind {
            crate::model::PlatformKind::Dedicated(t) => Some(t.as_str()),
            _ => None,
        };
        let tags = copy::tag_list(&copy::tags(self.v.model, self.v.env, tenant));
        let description = format!(
            "{}: CloudWatch Logs and Lambda environment variables",
            copy.name
        );
        self.resource(
            key,
            &["LogsKey", "Resource"],
            "AWS::KMS::Key",
            RETAIN,
            &NO_SKIPS,
            |p| {
                p.field("Description").str(&description);
                p.field("EnableKeyRotation").bool(true);
                p.field("KeyPolicy").object(|o| {
                    o.field("Version").str("2012-10-17");
                    o.field("Statement").array(|a| {
                        a.item().object(|s| {
                            s.field("Sid").str("AccountAdministersKey");
                            s.field("Effect").str("Allow");
                            s.field("Principal").object(|o| {
                                join(
                                    o.field("AWS"),
                                    &[
                                        Part::Text("arn:"),
                                        Part::Ref(Ref::Id("AWS::Partition")),
                                        Part::Text(":iam::"),
                                        Part::Ref(Ref::Id("AWS::AccountId")),
                                        Part::Text(":root"),
                                    ],
                                )
                            });
                            s.field("Action").str("kms:*");
                            s.field("Resource").str("*");
                        });
                        a.item().object(|s| {
                            s.field("Sid").str("CloudWatchLogsUseKey");
                            s.field("Effect").str("Allow");
                            s.field("Principal").object(|o| {
                                join(
                                    o.field("Service"),
                                    &[
                                        Part::Text("logs."),
                                        Part::Ref(Ref::Id("AWS::Region")),
                                        Part::Text(".amazonaws.com"),
                                    ],
                                )
                            });
                            s.field("Action").strs(crate::aws::iam::LOGS_KEY_USE);
                            s.field("Resource").str("*");
                            s.field("Condition").object(|o| {
                                o.field("ArnLike").object(|o| {
                                    arn(
                                        o.field("kms:EncryptionContext:aws:logs:arn"),
                                        "logs",
                                        &[Part::Text("log-group:*")],
                                    )
                                })
                            });
                        });
                    });
                });
                p.field("PendingWindowInDays").u64(30);
                p.field("Tags").raw(&tags);
            },
        );
    }
}
