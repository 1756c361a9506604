//! Every price the cost model uses, in USD, with where it comes from.
//! us-east-1 on-demand list prices (Linux/x86); other regions differ, and
//! the plan says so. docs/plan.md repeats this table with the formulas.

/// Hours in an average month (365 × 24 / 12), as AWS's calculator uses.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Fargate per vCPU-hour and per GB-hour (seed: ecs-fargate-vs-eks,
/// "ECS Fargate Pricing"; aws.amazon.com/fargate/pricing).
pub const FARGATE_VCPU_HOUR: f64 = 0.04048;
pub const FARGATE_GB_HOUR: f64 = 0.004445;

/// Spot discount, Fargate Spot and EC2 Spot alike (seed: "Fargate Spot is
/// up to 70% cheaper"; "m5.xlarge Spot $0.057/hour" against $0.192 is 70%).
pub const SPOT_DISCOUNT: f64 = 0.70;

/// EBS gp3 storage per GB-month, before any IOPS or throughput above the
/// included 3,000 IOPS and 125 MiB/s (aws.amazon.com/ebs/pricing).
pub const EBS_GP3_GB_MONTH: f64 = 0.08;

/// EFS Standard storage per GB-month (aws.amazon.com/efs/pricing), with
/// elastic throughput's data-access charges left out.
pub const EFS_STANDARD_GB_MONTH: f64 = 0.30;

/// EKS control plane per cluster-hour (seed: "$0.10/hour × 730h = $73.00").
pub const EKS_CONTROL_PLANE_HOUR: f64 = 0.10;

/// One EC2 instance type a Karpenter NodePool may launch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Instance {
    pub name: &'static str,
    pub vcpu: f64,
    pub memory_gib: f64,
    /// Pods per node with the VPC CNI (ENIs × (IPs per ENI − 1) + 2).
    pub max_pods: u32,
    /// On-demand price per hour.
    pub hourly: f64,
}

const fn i(name: &'static str, vcpu: f64, memory_gib: f64, max_pods: u32, hourly: f64) -> Instance {
    Instance {
        name,
        vcpu,
        memory_gib,
        max_pods,
        hourly,
    }
}

/// The NodePool's instance types: general (m5), compute (c5) and memory
/// (r5) families, large to 8xlarge (seed: Karpenter NodePool with
/// instance-category c, m, r; m5.xlarge $0.192/h from the seed, the rest
/// from aws.amazon.com/ec2/pricing/on-demand, us-east-1).
pub const INSTANCES: [Instance; 14] = [
    i("c5.large", 2.0, 4.0, 29, 0.085),
    i("c5.xlarge", 4.0, 8.0, 58, 0.17),
    i("c5.2xlarge", 8.0, 16.0, 58, 0.34),
    i("c5.4xlarge", 16.0, 32.0, 234, 0.68),
    i("m5.large", 2.0, 8.0, 29, 0.096),
    i("m5.xlarge", 4.0, 16.0, 58, 0.192),
    i("m5.2xlarge", 8.0, 32.0, 58, 0.384),
    i("m5.4xlarge", 16.0, 64.0, 234, 0.768),
    i("m5.8xlarge", 32.0, 128.0, 234, 1.536),
    i("r5.large", 2.0, 16.0, 29, 0.126),
    i("r5.xlarge", 4.0, 32.0, 58, 0.252),
    i("r5.2xlarge", 8.0, 64.0, 58, 0.504),
    i("r5.4xlarge", 16.0, 128.0, 234, 1.008),
    i("r5.8xlarge", 32.0, 256.0, 234, 2.016),
];

/// What every node keeps for itself (kubelet, system reserve, the aws-node,
/// kube-proxy and pod-identity DaemonSets): not allocatable to pods.
pub const NODE_RESERVED_VCPU: f64 = 0.1;
pub const NODE_RESERVED_GIB: f64 = 1.0;
/// Pods of those DaemonSets on every node, out of its pod limit.
pub const DAEMONSET_PODS: u32 = 3;

/// The managed node group that runs Karpenter and CoreDNS: two on-demand
/// m7i.large per cluster (the EKS target's default), $0.1008/h each.
pub const SYSTEM_NODES: f64 = 2.0;
pub const SYSTEM_NODE_HOURLY: f64 = 0.1008;
pub const SYSTEM_NODE_TYPE: &str = "m7i.large";

/// Job pods on EKS borrow NodePool capacity, priced at m5's rate: $0.048
/// per vCPU-hour with 4 GiB per vCPU (m5.xlarge: $0.192 / 4 vCPU).
pub const EKS_JOB_VCPU_HOUR: f64 = 0.048;
pub const EKS_JOB_GIB_PER_VCPU: f64 = 4.0;

/// Lambda per request and per GB-second, x86 (seed: kubernetes-vs-serverless
/// guide, "$0.20 per million requests", "$0.0000166667 per GB-second";
/// aws.amazon.com/lambda/pricing). The free tier is ignored.
pub const LAMBDA_PER_REQUEST: f64 = 0.20 / 1e6;
pub const LAMBDA_GB_SECOND: f64 = 0.000_016_666_7;
/// Messages per invocation of an SQS-triggered function (the Lambda
/// target's event source mapping batch size).
pub const LAMBDA_SQS_BATCH: f64 = 10.0;

/// API Gateway HTTP API per request, first 300 million a month
/// (aws.amazon.com/api-gateway/pricing).
pub const HTTP_API_PER_REQUEST: f64 = 1.00 / 1e6;

/// SQS per request, standard and FIFO (aws.amazon.com/sqs/pricing); a
/// message costs three requests: send, receive, delete.
pub const SQS_PER_REQUEST: f64 = 0.40 / 1e6;
pub const SQS_FIFO_PER_REQUEST: f64 = 0.50 / 1e6;
pub const SQS_REQUESTS_PER_MESSAGE: f64 = 3.0;

/// Application Load Balancer per hour and per LCU-hour
/// (aws.amazon.com/elasticloadbalancing/pricing; seed: "$25/month (ALB)").
pub const ALB_HOUR: f64 = 0.0225;
pub const ALB_LCU_HOUR: f64 = 0.008;

/// NAT gateway per hour and per GB processed (aws.amazon.com/vpc/pricing;
/// seed: "Networking (NAT) $45/month").
pub const NAT_HOUR: f64 = 0.045;
pub const NAT_GB: f64 = 0.045;

/// Fargate bills from image pull to stop, with a one-minute minimum: a job
/// run is billed for its duration plus this start-up time, at least 60 s.
pub const FARGATE_STARTUP_SECONDS: f64 = 30.0;
pub const FARGATE_MIN_SECONDS: f64 = 60.0;

/// The region these prices are for.
pub const PRICE_REGION: &str = "us-east-1";
