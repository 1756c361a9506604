//! A tenant's copy of a queue: the queue, its dead-letter queue (with an
//! alarm on what lands there), a TLS-only policy and its URL as an
//! output.

use super::*;

/// Dead-letter queues keep messages as long as SQS allows.
const DLQ_RETENTION_SECS: u64 = 14 * 86400;

impl<'v, R: Resolve, O: Out> Emitter<'_, 'v, R, O> {
    pub(super) fn queue(&mut self, scope: &Scope, q: &Queue, id: &str, dlq: Option<&str>) {
        let cid = queue_cid(q.name.as_str());
        let n = names::queue_names(&scope.full(q.name.as_str()), q.fifo);
        let visibility = consumer_visibility(q, self.v.workloads(scope));
        if visibility != q.visibility_timeout.secs() {
            self.note(
                format!(
                    "queue {}: visibility timeout raised from {} to {} ({VISIBILITY_FACTOR} x the {}s timeout of its Lambda consumer, as AWS recommends)",
                    q.name,
                    q.visibility_timeout,
                    crate::model::Duration::from_secs(visibility),
                    SERVICE_TIMEOUT_SECS
                ),
                &scope.place,
            );
        }
        let tags = &scope.tag_list;
        if let (Some(dlq), Some(_)) = (dlq, &q.dead_letter) {
            let path = scope.path(&[&cid, "DeadLetterQueue", "Resource"]);
            self.dead_letter_queue(scope, dlq, &path, &n.dead_letter, q.fifo);
        }
        let name = n.queue;
        self.resource(
            id,
            &scope.path(&[&cid, "Resource"]),
            "AWS::SQS::Queue",
            DELETE,
            &QUEUE_SKIPS,
            |p| {
                p.field("QueueName").plain(&name);
                if q.fifo {
                    p.field("FifoQueue").bool(true);
                    p.field("ContentBasedDeduplication").bool(true);
                }
                p.field("VisibilityTimeout").u64(visibility);
                p.field("MessageRetentionPeriod").u64(q.retention.secs());
                p.field("SqsManagedSseEnabled").bool(true);
                if let (Some(dlq), Some(dl)) = (dlq, &q.dead_letter) {
                    p.field("RedrivePolicy").object(|o| {
                        Ref::GetAtt(dlq, "Arn").write(o.field("deadLetterTargetArn"));
                        o.field("maxReceiveCount").u64(u64::from(dl.max_receives));
                    });
                }
                p.field("Tags").raw(tags);
            },
        );
        let queues: Vec<&str> = std::iter::once(id).chain(dlq).collect();
        self.tls_only(scope, &[&cid, "Policy", "Resource"], &queues, |_| {});
        self.output(
            &scope.path(&[&cid, "Url"]),
            &format!("URL of queue {}{}", q.name, scope.for_tenant),
            &Ref::Id(id),
        );
    }

    /// A dead-letter queue (a queue's, or a job's for failed runs): it
    /// keeps messages as long as SQS allows, and an alarm fires as soon as
    /// one lands there.
    pub(super) fn dead_letter_queue(
        &mut self,
        scope: &Scope,
        id: &str,
        path: &[&str],
        name: &str,
        fifo: bool,
    ) {
        self.resource(id, path, "AWS::SQS::Queue", DELETE, &QUEUE_SKIPS, |p| {
            p.field("QueueName").plain(name);
            if fifo {
                p.field("FifoQueue").bool(true);
            }
            p.field("MessageRetentionPeriod").u64(DLQ_RETENTION_SECS);
            p.field("SqsManagedSseEnabled").bool(true);
            p.field("Tags").raw(&scope.tag_list);
        });
        let alarm_path: Vec<&str> = path[..path.len() - 1]
            .iter()
            .copied()
            .chain(["DepthAlarm", "Resource"])
            .collect();
        self.alarm(
            scope,
            &alarm_path,
            &format!("Messages in dead-letter queue {name}: they failed and wait to be looked at"),
            &Metric {
                alarm: &crate::aws::alarms::DEAD_LETTER_DEPTH,
                value: Val::Name(name),
            },
        );
    }

    /// A queue policy that refuses anything but TLS, then what `extra`
    /// writes into the statement list.
    pub(super) fn tls_only(
        &mut self,
        scope: &Scope,
        path: &[&str],
        queues: &[&str],
        extra: impl FnOnce(&mut Arr<O>),
    ) {
        self.add(
            &scope.path(path),
            "AWS::SQS::QueuePolicy",
            None,
            &NO_SKIPS,
            |p| {
                p.field("PolicyDocument").object(|o| {
                    o.field("Version").str("2012-10-17");
                    o.field("Statement").array(|a| {
                        a.item().object(|s| {
                            s.field("Sid").str("DenyInsecureTransport");
                            s.field("Effect").str("Deny");
                            s.field("Principal").object(|o| o.field("AWS").str("*"));
                            s.field("Action").str("sqs:*");
                            s.field("Resource").array(|a| {
                                for q in queues {
                                    Ref::GetAtt(q, "Arn").write(a.item());
                                }
                            });
                            s.field("Condition").object(|o| {
                                o.field("Bool")
                                    .object(|o| o.field("aws:SecureTransport").str("false"))
                            });
                        });
                        extra(a);
                    });
                });
                p.field("Queues").array(|a| {
                    for q in queues {
                        Ref::Id(q).write(a.item());
                    }
                });
            },
        );
    }

    /// A reference to the tenant's queue `q`, or to its dead-letter
    /// queue.
    pub(super) fn queue_ref(
        &mut self,
        scope: &Scope,
        q: &Name,
        attr: Option<&'static str>,
    ) -> Ref<'v> {
        let copy = self.v.copy;
        let index = copy
            .queue_index(q)
            .expect("normalize resolves every queue reference");
        let unit = scope.queue_unit(index);
        let Kind::Queue { id, .. } = &copy.units[unit].kind else {
            unreachable!("queue units hold queues");
        };
        self.to(unit, id, attr)
    }
}
