//! Every name a target would create, and whether two of them are the same.
//!
//! Names are readable joins of user names (see [`super::names`]), so two
//! different sources can spell the same name. Rather than let one
//! resource silently take another's place (tenant `north`'s producer
//! writing into tenant `north-eu`'s queue), a blueprint whose names
//! collide is refused, with both sources and where they were written.

use super::names::Kind;
use crate::diag::Diagnostic;
use crate::model::{Environment, Model, Name, PlatformKind, Target};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

/// What a name was given to, in words and by the YAML paths that make it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Origin {
    /// `queue `orders` of tenant `north-eu``, without the environment.
    pub what: String,
    pub env: String,
    /// The declarations it comes from, most specific first.
    pub paths: Vec<String>,
}

impl Origin {
    /// A platform copy: the single or shared platform of an environment,
    /// or a dedicated tenant's.
    pub fn copy(env: &Environment, kind: &PlatformKind) -> Origin {
        let env_path = format!("environments.{}", env.name);
        match kind {
            PlatformKind::Single | PlatformKind::Shared => Origin {
                what: "the platform".to_string(),
                env: env.name.to_string(),
                paths: vec![env_path],
            },
            PlatformKind::Dedicated(t) => Origin {
                what: format!("the platform of dedicated tenant `{t}`"),
                env: env.name.to_string(),
                paths: vec![format!("tenants.{t}"), env_path],
            },
        }
    }

    /// A tenant's service, job or queue (`noun`), in one environment.
    pub fn item(env: &Environment, tenant: Option<&Name>, noun: &str, name: &str) -> Origin {
        let plural = match noun {
            "service" => "services",
            "job" => "jobs",
            _ => "queues",
        };
        let mut paths = vec![format!("{plural}.{name}")];
        let what = match tenant {
            Some(t) => {
                paths.push(format!("tenants.{t}"));
                format!("{noun} `{name}` of tenant `{t}`")
            }
            None => format!("{noun} `{name}`"),
        };
        paths.push(format!("environments.{}", env.name));
        Origin {
            what,
            env: env.name.to_string(),
            paths,
        }
    }

    /// Something a target creates once per environment (an EKS cluster's
    /// roles, its namespaces).
    pub fn environment(env: &Environment, what: impl Into<String>) -> Origin {
        Origin {
            what: what.into(),
            env: env.name.to_string(),
            paths: vec![format!("environments.{}", env.name)],
        }
    }
}

/// Two sources that name something alike: the kind and name of the first
/// occurrence, the environments it happens in, and both sources.
struct Collision {
    kind: Kind,
    name: String,
    envs: Vec<String>,
    first: Origin,
    second: Origin,
}

/// The names seen so far, by kind, and the collisions among them.
#[derive(Default)]
pub struct Registry {
    /// The sources recorded, each kept once while it names several things
    /// in a row (a service's task, role, log group...): a large blueprint
    /// records hundreds of thousands of names from a tenth as many sources.
    origins: Vec<Origin>,
    /// Each name's first source, as an index into `origins`.
    seen: BTreeMap<(Kind, String), usize>,
    /// By (first source, second source).
    collisions: BTreeMap<(String, String), Collision>,
    /// Names AWS would refuse: (why, where) -> the first source.
    refused: BTreeMap<(String, String), Origin>,
}

impl Registry {
    /// Records that `origin` creates a `kind` named `name`, unique in the
    /// account and region.
    pub fn add(&mut self, kind: Kind, name: &str, origin: &Origin) {
        self.add_in(kind, "", name, origin);
    }

    /// Records a name that only needs to be unique within `scope` (a
    /// Kubernetes namespace within one environment's cluster).
    pub fn add_in(&mut self, kind: Kind, scope: &str, name: &str, origin: &Origin) {
        if let Some(why) = kind.refuses(name) {
            let anchor = origin.paths.first().cloned().unwrap_or_default();
            self.refused
                .entry((why, anchor))
                .or_insert_with(|| origin.clone());
        }
        let mut compared = String::with_capacity(scope.len() + 1 + name.len());
        compared.push_str(scope);
        compared.push('\0');
        if kind.case_insensitive() {
            compared.push_str(&name.to_ascii_lowercase());
        } else {
            compared.push_str(name);
        }
        if self.origins.last() != Some(origin) {
            self.origins.push(origin.clone());
        }
        let current = self.origins.len() - 1;
        let first = match self.seen.entry((kind, compared)) {
            Entry::Vacant(v) => {
                v.insert(current);
                return;
            }
            Entry::Occupied(o) => &self.origins[*o.get()],
        };
        // One source naming two resources alike is the target's own
        // layout (a service and its task definition share a name).
        if first == origin {
            return;
        }
        let key = (first.what.clone(), origin.what.clone());
        let entry = self.collisions.entry(key).or_insert_with(|| Collision {
            kind,
            name: name.to_string(),
            envs: Vec::new(),
            first: first.clone(),
            second: origin.clone(),
        });
        if !entry.envs.contains(&origin.env) {
            entry.envs.push(origin.env.clone());
        }
    }

    /// One diagnostic per pair of sources whose names collide, at the
    /// second source's declaration.
    pub fn diagnostics(self, model: &Model) -> Vec<Diagnostic> {
        let all_envs = model.environments.len();
        let refused = self.refused.into_iter().map(|((why, anchor), origin)| {
            model
                .locations
                .diag(anchor, format!("{why} (for {})", origin.what))
                .with_help(format!(
                    "the name is made from {}; rename one of them",
                    origin.paths.join(" + ")
                ))
        });
        let collisions = self.collisions
            .into_values()
            .map(|c| {
                let Collision {
                    kind,
                    name,
                    envs,
                    first,
                    second,
                } = c;
                let same_env = first.env == second.env;
                let place = if envs.len() == all_envs && all_envs > 1 {
                    " (in every environment)".to_string()
                } else if all_envs > 1 && same_env {
                    let e: Vec<String> = envs.iter().map(|e| format!("`{e}`")).collect();
                    format!(" (in environment {})", e.join(", "))
                } else {
                    String::new()
                };
                let what = |o: &Origin| {
                    if same_env {
                        o.what.clone()
                    } else {
                        format!("{} in environment `{}`", o.what, o.env)
                    }
                };
                let anchor = second.paths.first().cloned().unwrap_or_default();
                model
                    .locations
                    .diag(
                        anchor,
                        format!(
                            "{} and {} would both be named `{name}` ({}){place}",
                            what(&first),
                            what(&second),
                            kind.label()
                        ),
                    )
                    .with_help(format!(
                        "generated names join the application, environment, tenant and workload names with `-`, and must be unique in an AWS account; rename one of them (one comes from {}, the other from {})",
                        first.paths.join(" + "),
                        second.paths.join(" + ")
                    ))
            });
        refused.chain(collisions).collect()
    }
}

/// Why `model`'s generated names do not work on `target`: names that
/// collide, and names AWS refuses.
pub fn check(model: &Model, target: Target) -> Vec<Diagnostic> {
    let mut reg = Registry::default();
    match target {
        Target::Ecs => super::names::ecs::register(model, &mut reg),
        Target::Eks => super::names::eks::register(model, &mut reg),
        Target::Lambda => super::names::lambda::register(model, &mut reg),
    }
    reg.diagnostics(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest names the format allows, everywhere at once: every
    /// generated name still fits its service's limit and character set.
    #[test]
    fn the_longest_names_fit_on_every_target() {
        let app = "a".repeat(27) + "x";
        let env = "e".repeat(15) + "x";
        let svc = "s".repeat(31) + "x";
        let job = "j".repeat(31) + "x";
        let queue = "q".repeat(31) + "x";
        let shared = "t".repeat(15) + "x";
        let dedicated = "d".repeat(15) + "x";
        let src = format!(
            "version: 1\nname: {app}\nregion: us-gov-west-1\nservices:\n  {svc}: {{ image: x, port: 80, expose: public, publishes: [{queue}] }}\njobs:\n  {job}: {{ image: x, schedule: \"0 3 1 * *\" }}\nqueues:\n  {queue}: {{ fifo: true }}\ntenants:\n  {shared}: {{}}\n  {dedicated}: {{ tier: dedicated }}\nenvironments:\n  {env}: {{}}\n"
        );
        let model = crate::normalize::load(&src).unwrap_or_else(|d| panic!("{d:#?}"));
        for t in Target::ALL {
            assert_eq!(check(&model, t), Vec::new(), "{}", t.as_str());
        }
    }

    #[test]
    fn prefix_names_collide_and_are_refused_with_both_sources() {
        let src = "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: { image: x }\nqueues:\n  orders: {}\n  eu-orders: {}\ntenants:\n  north: {}\n  north-eu: {}\n";
        let model = crate::normalize::load(src).unwrap();
        for t in Target::ALL {
            let d = check(&model, t);
            assert_eq!(d.len(), 1, "{}: {d:#?}", t.as_str());
            assert!(
                d[0].message.starts_with("queue `eu-orders` of tenant `north` and queue `orders` of tenant `north-eu` would both be named `shop-prod-north-eu-orders`"),
                "{}", d[0].message
            );
            assert_eq!(d[0].yaml_path, "queues.orders");
            assert_eq!(d[0].line, Some(7));
        }
        let internal = "version: 1\nname: internal-tools\nregion: eu-west-1\nservices:\n  web: { image: x, port: 80, expose: public }\n";
        let model = crate::normalize::load(internal).unwrap();
        let d = check(&model, Target::Ecs);
        assert!(d[0].message.contains("begins with `internal-`"), "{d:?}");
        assert!(check(&model, Target::Lambda).is_empty());
    }
}
