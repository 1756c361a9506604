//! The JSON Schema (draft 2020-12) of the blueprint v1 format, for editors
//! (`# yaml-language-server: $schema=./blueprint.schema.json`).
//!
//! It mirrors what normalize/ accepts: the same keys per map (every map is
//! `additionalProperties: false`), name patterns, enums, ranges and forms.
//! Rules that need the whole file (references exist, routes do not overlap,
//! `timeout < interval`) stay with `blueprint validate`. Numbers and
//! booleans are described in their YAML form (`port: 8080`, `fifo: true`);
//! blueprint also reads a quoted `"8080"`, which an editor will flag.

use serde_json::{json, Value};

#[cfg(test)]
mod tests;
#[cfg(test)]
pub mod validate;

const SERVICE_NAME: &str = "^[a-z][a-z0-9-]{0,31}$";
const SHORT_NAME: &str = "^[a-z][a-z0-9-]{0,15}$";
const APP_NAME: &str = "^[a-z][a-z0-9-]{0,27}$";
const ENV_NAME: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
const U32: u64 = u32::MAX as u64;

/// The schema as a JSON value.
pub fn schema() -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://blueprint.dev/schema/v1/blueprint.schema.json",
        "title": "blueprint v1",
        "description": "One platform-neutral application blueprint: services, queues, scheduled jobs, tenants and environments. See docs/blueprint-reference.md.",
        "type": "object",
        "additionalProperties": false,
        "required": ["version", "name", "region"],
        "anyOf": [
            { "required": ["services"], "properties": { "services": { "type": "object", "minProperties": 1 } } },
            { "required": ["jobs"], "properties": { "jobs": { "type": "object", "minProperties": 1 } } }
        ],
        "properties": {
            "version": { "const": 1, "description": "The format version: `1`." },
            "name": {
                "type": "string",
                "pattern": APP_NAME,
                "description": "The application name, prefix of every resource name: a lowercase letter, then a-z, 0-9 or `-`, at most 28 characters."
            },
            "region": {
                "type": "string",
                "pattern": "^[a-z]{2}(-[a-z]+){1,2}-[0-9]{1,2}$",
                "description": "The AWS region, e.g. `eu-central-1`."
            },
            "tags": {
                "type": ["object", "null"],
                "description": "Tags on every resource. Default: `{}`.",
                "propertyNames": {
                    "minLength": 1,
                    "maxLength": 128,
                    "not": { "pattern": "^[aA][wW][sS]:" }
                },
                "additionalProperties": scalar("A tag value, at most 256 characters.", Some(256))
            },
            "network": {
                "type": "object",
                "additionalProperties": false,
                "required": ["vpc_id", "private_subnets"],
                "description": "The VPC to run in. Default: absent, the VPC and subnets become inputs (Terraform variables, CloudFormation parameters).",
                "properties": {
                    "vpc_id": {
                        "type": "string",
                        "pattern": "^vpc-[0-9a-f]+$",
                        "description": "e.g. `vpc-0a1b2c3d4e5f60718`."
                    },
                    "private_subnets": subnets("Subnets the workloads run in (at least one).", 1),
                    "public_subnets": subnets("Subnets for public load balancers (at least two when a service is public). Default: `[]`.", 0)
                }
            },
            "services": {
                "type": ["object", "null"],
                "description": "Long-running workloads: HTTP services (with a `port`), queue workers (with `consumes`) and background services.",
                "propertyNames": { "pattern": SERVICE_NAME },
                "additionalProperties": { "$ref": "#/$defs/service" }
            },
            "jobs": {
                "type": ["object", "null"],
                "description": "Scheduled jobs. A job may not share a service's name.",
                "propertyNames": { "pattern": SERVICE_NAME },
                "additionalProperties": { "$ref": "#/$defs/job" }
            },
            "queues": {
                "type": ["object", "null"],
                "description": "SQS queues; every tenant gets its own copy.",
                "propertyNames": { "pattern": SERVICE_NAME },
                "additionalProperties": { "$ref": "#/$defs/queue" }
            },
            "tenants": {
                "type": ["object", "null"],
                "description": "Tenants. Default: none, the application is single-tenant.",
                "propertyNames": { "pattern": SHORT_NAME },
                "additionalProperties": { "$ref": "#/$defs/tenant" }
            },
            "environments": {
                "type": ["object", "null"],
                "description": "Environments. Default: one environment, `prod`.",
                "propertyNames": { "pattern": SHORT_NAME },
                "additionalProperties": { "$ref": "#/$defs/environment" }
            }
        },
        "$defs": {
            "service": service(true),
            "service_override": service(false),
            "job": job(true),
            "job_override": job(false),
            "queue": queue(),
            "tenant": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "tier": {
                        "enum": ["shared", "dedicated"],
                        "description": "`shared`: isolated inside the shared platform; `dedicated`: its own copy of the platform. Default: `shared`."
                    },
                    "quota": {
                        "type": ["object", "null"],
                        "additionalProperties": false,
                        "description": "What the tenant's workloads may request in total: their minimum must fit (refused otherwise); EKS enforces it with a ResourceQuota. Default: none.",
                        "properties": {
                            "cpu": cpu("Total CPU of the tenant's workloads."),
                            "memory": memory("Total memory of the tenant's workloads."),
                            "pods": uint(1, U32, "Most pods.")
                        }
                    },
                    "overrides": { "$ref": "#/$defs/overrides" }
                }
            },
            "environment": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "properties": {
                    "account": {
                        "type": "string",
                        "pattern": "^[0-9]{12}$",
                        "description": "The AWS account (12 digits) the environment deploys to: Terraform refuses others, and values that need it (EKS queue URLs) are rendered with it. Default: none."
                    },
                    "overrides": { "$ref": "#/$defs/overrides" }
                }
            },
            "overrides": {
                "type": ["object", "null"],
                "additionalProperties": false,
                "description": "Partial service and job entries deep-merged over the base (maps merge, lists and scalars replace); environment overrides apply first, then tenant overrides.",
                "properties": {
                    "services": {
                        "type": ["object", "null"],
                        "propertyNames": { "pattern": SERVICE_NAME },
                        "additionalProperties": { "$ref": "#/$defs/service_override" }
                    },
                    "jobs": {
                        "type": ["object", "null"],
                        "propertyNames": { "pattern": SERVICE_NAME },
                        "additionalProperties": { "$ref": "#/$defs/job_override" }
                    }
                }
            }
        }
    })
}

/// The schema as pretty-printed JSON with a final newline.
pub fn to_string() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("a JSON value serializes");
    s.push('\n');
    s
}

/// A service; `base: false` is an override entry (nothing required, and
/// written as nothing it changes nothing).
fn service(base: bool) -> Value {
    let mut props = common_props();
    let extra = json!({
        "port": uint(1, 65535, "The port the service listens on; a service with a port is an HTTP service. Default: none."),
        "health": {
            "type": ["object", "null"],
            "additionalProperties": false,
            "description": "HTTP health check (needs a `port`). Default: none.",
            "properties": {
                "path": {
                    "type": "string",
                    "pattern": "^/[^\\s\"'`\\\\\\x00-\\x1f\\x7f]*$",
                    "description": "Path to probe. Default: `/`."
                },
                "interval": duration("Time between checks, longer than `timeout`. Default: `30s`."),
                "timeout": duration("Time a check may take, at least 1s. Default: `5s`."),
                "retries": uint(1, 10, "Failures before unhealthy. Default: `3`."),
                "grace": duration("Time after start before checks count. Default: `0s`.")
            }
        },
        "expose": {
            "enum": ["public", "internal"],
            "description": "`public` (behind a load balancer, needs a `port`) or `internal`. Default: `internal`."
        },
        "routes": {
            "type": "array",
            "minItems": 1,
            "description": "Path prefixes of a public service; must not overlap other services' routes. Default: `[\"/\"]` for public services.",
            "items": {
                "type": "string",
                "pattern": "^/[^\\s\"'`\\\\?#*\\x00-\\x1f\\x7f]*$"
            }
        },
        "scale": {
            "type": ["object", "null"],
            "additionalProperties": false,
            "description": "Replicas and autoscaling targets. Default: exactly 1 replica.",
            "properties": {
                "min": uint(0, U32, "Fewest replicas. Default: `1`."),
                "max": uint(1, U32, "Most replicas, at least `min`. Default: `max(min, 1)`."),
                "cpu": uint(1, 100, "Target CPU utilisation, percent. Default: none."),
                "memory": uint(1, 100, "Target memory utilisation, percent. Default: none."),
                "requests": uint(1, U32, "Target requests per replica (needs a `port`). Default: none."),
                "queue_depth": uint(1, U32, "Target visible messages per replica (needs exactly one queue in `consumes`). Default: none.")
            }
        },
        "stateful": { "type": "boolean", "description": "Keeps state on its own disk (`storage`): a StatefulSet with EBS volumes on EKS, EFS on ECS; does not fit lambda. Not public, `scale.min` >= 1, no `queue_depth`. Default: `false`." },
        "storage": {
            "type": "object",
            "additionalProperties": false,
            "required": ["path", "size"],
            "description": "Where a stateful service keeps its state. Only with `stateful: true`, and required there.",
            "properties": {
                "path": { "type": "string", "pattern": "^/[^\\s\\x00-\\x1f\\x7f\"'`\\\\:$*?{}]+$", "description": "Absolute directory the volume is mounted at." },
                "size": { "type": "string", "pattern": "^[0-9]{1,6}Gi$", "description": "Whole Gi, 1Gi to 16384Gi (EBS gp3). EFS grows on its own: there the size is advisory." }
            }
        },
        "calls": names("Services (with a port) this service calls; opens the network path. Default: `[]`.")
    });
    if let (Some(p), Value::Object(e)) = (props.as_object_mut(), extra) {
        p.extend(e);
    }
    if !base {
        // An override merges into the service's own storage: it may give
        // only the size.
        let storage = &mut props["storage"];
        storage.as_object_mut().map(|o| o.remove("required"));
        storage["description"] = json!("Changes the service's storage (usually its `size`).");
    }
    workload(
        props,
        base,
        "A long-running service.",
        "A partial service entry.",
    )
}

fn job(base: bool) -> Value {
    let mut props = common_props();
    let extra = json!({
        "schedule": {
            "type": "string",
            "description": "5-field cron `minute hour day-of-month month day-of-week` in UTC (`0 2 * * *`) or `rate(N minutes|hours|days)`."
        },
        "timeout": duration("Longest run, at least 1s (at most 15m on lambda). Default: `15m`."),
        "retries": uint(0, 10, "Retries after a failed run. Default: `0`."),
        "calls": names("Services (with a port) this job calls; opens the network path. Default: `[]`.")
    });
    if let (Some(p), Value::Object(e)) = (props.as_object_mut(), extra) {
        p.extend(e);
    }
    let mut v = workload(props, base, "A scheduled job.", "A partial job entry.");
    if base {
        v["required"] = json!(["schedule", "image"]);
    }
    v
}

fn workload(props: Value, base: bool, what: &str, partial: &str) -> Value {
    if base {
        json!({
            "type": "object",
            "additionalProperties": false,
            "required": ["image"],
            "description": what,
            "properties": props
        })
    } else {
        json!({
            "type": ["object", "null"],
            "additionalProperties": false,
            "description": partial,
            "properties": props
        })
    }
}

/// Keys services and jobs share.
fn common_props() -> Value {
    json!({
        "image": {
            "type": "string",
            "pattern": "^[^\\s\\x00-\\x1f\\x7f]+$",
            "description": "Container image: `repo[:tag]` or `repo@sha256:...`."
        },
        "cpu": cpu("vCPU (`0.25`, `1`) or millicores (`250m`). Default: `0.25`."),
        "memory": memory("`512Mi`, `2Gi`, `1.5Gi`. Default: `512Mi`."),
        "command": {
            "type": "array",
            "minItems": 1,
            "description": "Command and arguments. Default: the image's own.",
            "items": { "type": ["string", "number", "boolean", "null"] }
        },
        "env": {
            "type": ["object", "null"],
            "description": "Environment variables; values are kept literally. Default: `{}`.",
            "propertyNames": { "pattern": ENV_NAME },
            "additionalProperties": scalar("The value, as written.", None)
        },
        "secrets": {
            "type": ["object", "null"],
            "description": "Environment variables from Secrets Manager: a secret name or ARN. A key may not also be in `env`. Default: `{}`.",
            "propertyNames": { "pattern": ENV_NAME },
            "additionalProperties": {
                "type": "string",
                "anyOf": [
                    { "pattern": "^[A-Za-z0-9/_+=.@-]{1,512}$" },
                    { "pattern": "^arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:.+$" }
                ]
            }
        },
        "spot": uint(0, 100, "Percent of capacity on spot. Default: `0`."),
        "publishes": names("Queues this workload sends to. Default: `[]`."),
        "consumes": names("Queues this workload receives from. Default: `[]`."),
        "writable_paths": {
            "type": ["array", "null"],
            "maxItems": 16,
            "description": "Absolute directories that get writable scratch space under the read-only root filesystem (`/var/cache/nginx`). Lambda: only under `/tmp`. Default: `[]`.",
            "items": { "type": "string", "pattern": "^/[^\\s\\x00-\\x1f\\x7f\"'`\\\\:$*?{}]+$" }
        }
    })
}

fn queue() -> Value {
    json!({
        "type": ["object", "null"],
        "additionalProperties": false,
        "properties": {
            "visibility_timeout": duration("At most 12h. Default: `30s`."),
            "retention": duration("From 60s to 14d. Default: `4d`."),
            "fifo": { "type": "boolean", "description": "A FIFO queue. Default: `false`." },
            "dead_letter": {
                "description": "`false` turns the dead-letter queue off. Default: on, `max_receives: 5`.",
                "anyOf": [
                    { "type": ["boolean", "null"] },
                    {
                        "type": "object",
                        "additionalProperties": false,
                        "properties": {
                            "max_receives": uint(1, 1000, "Receives before a message moves to the dead-letter queue. Default: `5`.")
                        }
                    }
                ]
            }
        }
    })
}

fn uint(min: u64, max: u64, description: &str) -> Value {
    json!({ "type": "integer", "minimum": min, "maximum": max, "description": description })
}

fn duration(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^[0-9]+[smhd]$", "description": description })
}

fn cpu(description: &str) -> Value {
    json!({
        "description": description,
        "anyOf": [
            { "type": "number", "exclusiveMinimum": 0, "maximum": 192 },
            { "type": "string", "pattern": "^([0-9]+m|[0-9]{1,9}(\\.[0-9]{0,3})?|\\.[0-9]{1,3})$" }
        ]
    })
}

fn memory(description: &str) -> Value {
    json!({
        "type": "string",
        "pattern": "^([0-9]{1,9}Mi|([0-9]{1,9}(\\.[0-9]{0,3})?|\\.[0-9]{1,3})Gi)$",
        "description": description
    })
}

fn names(description: &str) -> Value {
    json!({
        "type": ["array", "null"],
        "description": description,
        "items": { "type": "string", "pattern": SERVICE_NAME }
    })
}

fn subnets(description: &str, min: u64) -> Value {
    json!({
        "type": if min == 0 { json!(["array", "null"]) } else { json!("array") },
        "minItems": min,
        "uniqueItems": true,
        "description": description,
        "items": { "type": "string", "pattern": "^subnet-[0-9a-f]+$" }
    })
}

/// Any YAML scalar (blueprint keeps its text), optionally length-limited.
fn scalar(description: &str, max_len: Option<u64>) -> Value {
    let mut v = json!({
        "type": ["string", "number", "boolean", "null"],
        "description": description
    });
    if let Some(m) = max_len {
        v["maxLength"] = json!(m);
    }
    v
}
