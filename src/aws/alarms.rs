//! What each alarm watches and when it fires, the same on every target:
//! the metric, its statistic over a period, and the threshold. Targets
//! name the alarms (`aws::names`) and pick the resource each one watches
//! (its dimensions); the rule is decided here once.

/// A CloudWatch metric and when an alarm on it fires: at `threshold` or
/// more over `period_secs`, `periods` times in a row.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub namespace: &'static str,
    pub metric: &'static str,
    pub statistic: &'static str,
    /// The dimension that picks the resource, where one suffices (Lambda,
    /// SQS, API Gateway); the ECS module sets its own.
    pub dimension: &'static str,
    pub period_secs: u64,
    pub periods: u64,
    pub threshold: u64,
}

const FIVE_MINUTES: u64 = 300;

/// Messages given up on: any message in a dead-letter queue.
pub static DEAD_LETTER_DEPTH: Rule = Rule {
    namespace: "AWS/SQS",
    metric: "ApproximateNumberOfMessagesVisible",
    statistic: "Maximum",
    dimension: "QueueName",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 1,
};

/// A service answering with server errors: 10 or more in five minutes
/// (one is noise; a burst is an outage).
pub static TARGET_5XX: Rule = Rule {
    namespace: "AWS/ApplicationELB",
    metric: "HTTPCode_Target_5XX_Count",
    statistic: "Sum",
    dimension: "TargetGroup",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 10,
};

/// The load balancer's own server errors (no healthy target, timeouts).
pub static LOAD_BALANCER_5XX: Rule = Rule {
    namespace: "AWS/ApplicationELB",
    metric: "HTTPCode_ELB_5XX_Count",
    statistic: "Sum",
    dimension: "LoadBalancer",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 10,
};

/// Tasks failing the load balancer's health check for three minutes.
pub static UNHEALTHY_HOSTS: Rule = Rule {
    namespace: "AWS/ApplicationELB",
    metric: "UnHealthyHostCount",
    statistic: "Maximum",
    dimension: "TargetGroup",
    period_secs: 60,
    periods: 3,
    threshold: 1,
};

/// A job run that failed after its retries.
pub static JOB_FAILED: Rule = Rule {
    namespace: "AWS/States",
    metric: "ExecutionsFailed",
    statistic: "Sum",
    dimension: "StateMachineArn",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 1,
};

/// A job run that ran past its timeout.
pub static JOB_TIMED_OUT: Rule = Rule {
    namespace: "AWS/States",
    metric: "ExecutionsTimedOut",
    statistic: "Sum",
    dimension: "StateMachineArn",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 1,
};

/// Function invocations that failed.
pub static FUNCTION_ERRORS: Rule = Rule {
    namespace: "AWS/Lambda",
    metric: "Errors",
    statistic: "Sum",
    dimension: "FunctionName",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 1,
};

/// Invocations refused for lack of concurrency.
pub static FUNCTION_THROTTLES: Rule = Rule {
    namespace: "AWS/Lambda",
    metric: "Throttles",
    statistic: "Sum",
    dimension: "FunctionName",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 1,
};

/// Server errors an HTTP API returned, as for a load balancer's targets.
pub static API_5XX: Rule = Rule {
    namespace: "AWS/ApiGateway",
    metric: "5xx",
    statistic: "Sum",
    dimension: "ApiId",
    period_secs: FIVE_MINUTES,
    periods: 1,
    threshold: 10,
};
