//! Fitting a platform copy into CloudFormation's per-template quotas.
//!
//! A stack that fits is kept exactly as built. One that does not is split
//! the way a CDK app author would split it: a shared platform gets a stack
//! for what every tenant uses (the KMS key, the parameters) and one stack
//! per shared tenant; a tenant (or a single-tenant or dedicated copy) that
//! is still too big continues in numbered part stacks (`...-Part2`).
//!
//! The unit of placement is a whole construct: a queue (with its
//! dead-letter queue and policy), a tenant's HTTP API (with its stage and
//! access logs), or a workload (its function with role, log group,
//! security group, triggers, routes and image parameter). Units are placed
//! in a fixed order (queues, the API, then workloads with callees before
//! their callers), so every reference points to the same stack or an
//! earlier one and the stacks' dependencies never form a cycle. A reference
//! that crosses stacks becomes `Fn::ImportValue` of an export the owning
//! stack declares, as CDK writes cross-stack references: an output
//! `ExportsOutput...` with `Export.Name` `<Stack>:<OutputId>`, and the
//! importing artifact lists the exporting stack in `dependencies`.

use super::ids::{construct_id, make_unique_id, pascal};
use super::{MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
use crate::model::{Model, Name, Platform, PlatformKind, Workloads};
use crate::render::json::to_cdk_json_writer;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// CloudFormation's limit on an export name.
const EXPORT_NAME_MAX: usize = 255;
/// Room kept for `Description` and the template's own braces.
const TEMPLATE_OVERHEAD_BYTES: usize = 4096;

/// One stack of the assembly.
pub struct Stack {
    pub name: String,
    pub template: Value,
    /// Stacks it imports from (artifact IDs, sorted).
    pub dependencies: Vec<String>,
}

/// What a template holds, against CloudFormation's quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    pub bytes: usize,
}

impl Size {
    pub fn of(template: &Value) -> Size {
        let count = |key: &str| template[key].as_object().map_or(0, Map::len);
        let mut size = Size {
            resources: count("Resources"),
            parameters: count("Parameters"),
            outputs: count("Outputs"),
            bytes: 0,
        };
        // Rendering a huge template only to learn it is too big is wasted.
        if size.counts_fit() {
            size.bytes = rendered(template).0;
        }
        size
    }

    fn counts_fit(&self) -> bool {
        self.resources <= MAX_RESOURCES
            && self.parameters <= MAX_PARAMETERS
            && self.outputs <= MAX_OUTPUTS
    }

    pub fn fits(&self) -> bool {
        self.counts_fit() && self.bytes <= MAX_TEMPLATE_BYTES
    }
}

/// Who a template is for, to describe the stacks a split makes.
pub struct Describe<'a> {
    /// `<app>, environment <env>`.
    pub head: String,
    /// The description of the unsplit stack.
    pub whole: String,
    pub platform: &'a Platform,
}

/// `template` (the stack `name` of `platform`) as it is when it fits,
/// or split into stacks that each fit.
pub fn fit(
    model: &Model,
    name: &str,
    template: Value,
    size: &Size,
    describe: &Describe,
) -> Vec<Stack> {
    if size.fits() {
        return vec![Stack {
            name: name.to_string(),
            template,
            dependencies: Vec::new(),
        }];
    }
    let splitter = Splitter::new(model, name, &template, describe.platform);
    splitter.split(describe, template)
}

/// A construct placed as a whole.
#[derive(Default)]
struct Unit {
    /// Index into `platform.tenants`; `None` for what the copy shares.
    tenant: Option<usize>,
    resources: usize,
    parameters: usize,
    outputs: usize,
    bytes: usize,
    /// Items of this unit that other units reference: the exports it may
    /// have to declare.
    exports: BTreeSet<(String, Option<String>)>,
}

impl Unit {
    fn export_bytes(&self, stack_max: usize) -> usize {
        self.exports
            .iter()
            .map(|(id, attr)| 2 * (stack_max + 1 + export_id_len(id, attr.as_deref())) + 160)
            .sum()
    }
}

struct Splitter<'a> {
    name: &'a str,
    platform: &'a Platform,
    units: Vec<Unit>,
    /// Logical ID (resource or parameter) -> unit.
    unit_of: BTreeMap<String, usize>,
    /// Output ID -> unit.
    output_unit: BTreeMap<String, usize>,
    /// Parameters whose value is a list (exported joined, imported split).
    list_params: BTreeSet<String>,
    /// Longest stack name a split can make.
    stack_max: usize,
}

impl<'a> Splitter<'a> {
    fn new(model: &Model, name: &'a str, template: &Value, platform: &'a Platform) -> Self {
        let shared = platform.kind == PlatformKind::Shared;
        let empty = Map::new();
        let resources = template["Resources"].as_object().unwrap_or(&empty);
        let parameters = template["Parameters"].as_object().unwrap_or(&empty);
        let outputs = template["Outputs"].as_object().unwrap_or(&empty);

        // Units in placement order: what the copy shares, then per tenant
        // its queues, its HTTP API and its workloads, callees first.
        let mut units = vec![Unit::default()];
        let mut by_path: BTreeMap<(Option<String>, String), usize> = BTreeMap::new();
        for (i, w) in platform.tenants.iter().enumerate() {
            let scope = match (&w.tenant, shared) {
                (Some(t), true) => Some(construct_id(t.as_str())),
                _ => None,
            };
            let mut keys: Vec<String> = model
                .queues
                .iter()
                .map(|q| format!("{}Queue", construct_id(q.name.as_str())))
                .collect();
            keys.push("HttpApi".into());
            keys.extend(callees_first(w).iter().map(|n| construct_id(n.as_str())));
            for key in keys {
                units.push(Unit {
                    tenant: Some(i),
                    ..Unit::default()
                });
                by_path.insert((scope.clone(), key), units.len() - 1);
            }
        }

        // Resources by construct path; anything else (the key) is shared.
        let mut unit_of: BTreeMap<String, usize> = BTreeMap::new();
        let prefix = format!("{name}/");
        for (id, r) in resources {
            let path = r["Metadata"]["aws:cdk:path"].as_str().unwrap_or_default();
            let parts: Vec<&str> = path
                .strip_prefix(&prefix)
                .unwrap_or(path)
                .split('/')
                .collect();
            let key = if shared {
                (parts.first().map(|s| s.to_string()), parts.get(1))
            } else {
                (None, parts.first())
            };
            let unit = match key {
                (scope, Some(top)) => by_path.get(&(scope, top.to_string())).copied(),
                _ => None,
            };
            unit_of.insert(id.clone(), unit.unwrap_or(0));
        }

        // A parameter goes with the one unit using it (an image URI), or
        // is shared when several do.
        let mut users: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
        for (id, r) in resources {
            let u = unit_of[id];
            refs(r, &mut |target, _| {
                if let Some((p, _)) = parameters.get_key_value(target) {
                    users.entry(p.as_str()).or_default().insert(u);
                }
            });
        }
        let mut list_params = BTreeSet::new();
        for (id, p) in parameters {
            let u = match users.get(id.as_str()) {
                Some(set) if set.len() == 1 => *set.iter().next().expect("one"),
                _ => 0,
            };
            unit_of.insert(id.clone(), u);
            let ty = p["Type"].as_str().unwrap_or_default();
            if ty.starts_with("List<") || ty == "CommaDelimitedList" {
                list_params.insert(id.clone());
            }
        }
        let mut output_unit = BTreeMap::new();
        for (id, o) in outputs {
            let mut u = 0;
            refs(&o["Value"], &mut |target, _| {
                if let Some(x) = unit_of.get(target) {
                    u = *x;
                }
            });
            output_unit.insert(id.clone(), u);
        }

        let tenant_max = platform
            .tenants
            .iter()
            .filter_map(|w| w.tenant.as_ref())
            .map(|t| pascal(t.as_str()).len() + 1)
            .max()
            .unwrap_or(0);
        let stack_max = name.len() + tenant_max + "-Part".len() + 6;

        let mut s = Splitter {
            name,
            platform,
            units,
            unit_of,
            output_unit,
            list_params,
            stack_max,
        };
        s.measure(resources, parameters, outputs);
        s
    }

    /// Counts and bytes of every unit, with room for the imports it may
    /// need and the exports other units may ask of it.
    fn measure(
        &mut self,
        resources: &Map<String, Value>,
        parameters: &Map<String, Value>,
        outputs: &Map<String, Value>,
    ) {
        for (id, p) in parameters {
            let u = &mut self.units[self.unit_of[id]];
            u.parameters += 1;
            u.bytes += entry_bytes(id, p);
        }
        for (id, o) in outputs {
            let u = &mut self.units[self.output_unit[id]];
            u.outputs += 1;
            u.bytes += entry_bytes(id, o);
        }
        for (id, r) in resources {
            let own = self.unit_of[id];
            let mut imports = 0;
            let mut wanted = Vec::new();
            refs(r, &mut |target, attr| {
                if let Some(&other) = self.unit_of.get(target) {
                    if other != own {
                        // `{"Fn::ImportValue": "<Stack>:<OutputId>"}`,
                        // wrapped in `Fn::Split` for a list.
                        imports += self.stack_max + export_id_len(target, attr) + 80;
                        wanted.push((other, target.to_string(), attr.map(str::to_string)));
                    }
                }
            });
            let u = &mut self.units[own];
            u.resources += 1;
            u.bytes += entry_bytes(id, r) + imports;
            for (other, target, attr) in wanted {
                self.units[other].exports.insert((target, attr));
            }
        }
    }

    fn split(self, describe: &Describe, template: Value) -> Vec<Stack> {
        let shared = self.platform.kind == PlatformKind::Shared;
        // (stack name, description, units)
        let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
        if shared {
            groups.push((
                self.name.to_string(),
                format!(
                    "{}: KMS key and parameters the stacks of its shared tenants import, generated by blueprint",
                    describe.head
                ),
                vec![0],
            ));
            for (i, w) in self.platform.tenants.iter().enumerate() {
                let tenant = w.tenant.as_ref().map_or("", Name::as_str);
                let base = format!("{}-{}", self.name, pascal(tenant));
                let order: Vec<usize> = (0..self.units.len())
                    .filter(|u| self.units[*u].tenant == Some(i))
                    .collect();
                for (n, units) in self.pack(&order).into_iter().enumerate() {
                    let (name, part) = part_name(&base, n);
                    groups.push((
                        name,
                        format!(
                            "{}: Lambda functions, queues and APIs generated by blueprint (shared tenant {tenant}{part})",
                            describe.head
                        ),
                        units,
                    ));
                }
            }
        } else {
            let order: Vec<usize> = (0..self.units.len()).collect();
            for (n, units) in self.pack(&order).into_iter().enumerate() {
                let (name, part) = part_name(self.name, n);
                groups.push((name, format!("{}{part}", describe.whole), units));
            }
        }
        self.materialize(groups, template)
    }

    /// Greedy, in order: a unit joins the current stack while everything
    /// still fits, else opens the next one.
    fn pack(&self, order: &[usize]) -> Vec<Vec<usize>> {
        let mut packs: Vec<Vec<usize>> = Vec::new();
        let mut total = Size {
            resources: 0,
            parameters: 0,
            outputs: 0,
            bytes: 0,
        };
        for &u in order {
            let unit = &self.units[u];
            let add = Size {
                resources: unit.resources,
                parameters: unit.parameters,
                outputs: unit.outputs + unit.exports.len(),
                bytes: unit.bytes + unit.export_bytes(self.stack_max),
            };
            if add.resources + add.parameters + add.outputs == 0 {
                continue;
            }
            let next = Size {
                resources: total.resources + add.resources,
                parameters: total.parameters + add.parameters,
                outputs: total.outputs + add.outputs,
                bytes: total.bytes + add.bytes,
            };
            let fits =
                next.counts_fit() && next.bytes + TEMPLATE_OVERHEAD_BYTES <= MAX_TEMPLATE_BYTES;
            match packs.last_mut() {
                Some(pack) if fits => {
                    pack.push(u);
                    total = next;
                }
                _ => {
                    packs.push(vec![u]);
                    total = add;
                }
            }
        }
        if packs.is_empty() {
            packs.push(Vec::new());
        }
        packs
    }

    /// The templates of `groups`, references across them turned into
    /// exports and imports.
    fn materialize(
        &self,
        groups: Vec<(String, String, Vec<usize>)>,
        template: Value,
    ) -> Vec<Stack> {
        let mut group_of_unit = vec![0; self.units.len()];
        for (g, (_, _, units)) in groups.iter().enumerate() {
            for &u in units {
                group_of_unit[u] = g;
            }
        }
        let group_of = |id: &str| self.unit_of.get(id).map(|u| group_of_unit[*u]);
        let Value::Object(mut template) = template else {
            return Vec::new();
        };
        let mut section = |key: &str| match template.remove(key) {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };

        type Body = (Map<String, Value>, Map<String, Value>, Map<String, Value>);
        let mut bodies: Vec<Body> = vec![Default::default(); groups.len()];
        let mut exports: Vec<BTreeSet<(String, Option<String>)>> =
            vec![BTreeSet::new(); groups.len()];
        let mut dependencies: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
        // References from group `g` to another group's items become
        // imports of exports that group declares.
        let mut import = |g: usize, v: &mut Value| {
            rewrite(v, &mut |target, attr| {
                let owner = group_of(target)?;
                if owner == g {
                    return None;
                }
                exports[owner].insert((target.to_string(), attr.map(str::to_string)));
                dependencies[g].insert(owner);
                let value = json!({"Fn::ImportValue": export_name(&groups[owner].0, target, attr)});
                Some(if attr.is_none() && self.list_params.contains(target) {
                    json!({"Fn::Split": [",", value]})
                } else {
                    value
                })
            });
        };
        for (id, p) in section("Parameters") {
            let g = group_of(&id).unwrap_or(0);
            bodies[g].0.insert(id, p);
        }
        let old_prefix = format!("{}/", self.name);
        for (id, r) in section("Resources") {
            let g = group_of(&id).unwrap_or(0);
            let mut r = r;
            import(g, &mut r);
            if let Some(path) = r["Metadata"]["aws:cdk:path"].as_str() {
                let rest = path.strip_prefix(&old_prefix).unwrap_or(path);
                r["Metadata"]["aws:cdk:path"] = json!(format!("{}/{rest}", groups[g].0));
            }
            bodies[g].1.insert(id, r);
        }
        for (id, o) in section("Outputs") {
            let g = group_of_unit[self.output_unit[&id]];
            let mut o = o;
            import(g, &mut o);
            bodies[g].2.insert(id, o);
        }

        let mut stacks = Vec::new();
        for (g, ((name, description, _), (parameters, resources, mut outputs))) in
            groups.iter().zip(bodies).enumerate()
        {
            for (target, attr) in &exports[g] {
                let attr = attr.as_deref();
                let value = match attr {
                    Some(a) => json!({"Fn::GetAtt": [target, a]}),
                    None if self.list_params.contains(target) => {
                        json!({"Fn::Join": [",", {"Ref": target}]})
                    }
                    None => json!({"Ref": target}),
                };
                outputs.insert(
                    export_id(target, attr),
                    json!({"Value": value, "Export": {"Name": export_name(name, target, attr)}}),
                );
            }
            let mut t = Map::new();
            t.insert("Description".into(), json!(description));
            if !parameters.is_empty() {
                t.insert("Parameters".into(), Value::Object(parameters));
            }
            t.insert("Resources".into(), Value::Object(resources));
            if !outputs.is_empty() {
                t.insert("Outputs".into(), Value::Object(outputs));
            }
            stacks.push(Stack {
                name: name.clone(),
                template: Value::Object(t),
                dependencies: dependencies[g]
                    .iter()
                    .map(|d| groups[*d].0.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            });
        }
        stacks
    }
}

/// `base` for the first part, `base-Part2`... after; and `, part N` for
/// descriptions.
fn part_name(base: &str, n: usize) -> (String, String) {
    if n == 0 {
        (base.to_string(), String::new())
    } else {
        (format!("{base}-Part{}", n + 1), format!(", part {}", n + 1))
    }
}

/// The tenant's services and jobs, each after the services it calls (in
/// name order otherwise), so that a caller never sits in an earlier stack
/// than its callee.
fn callees_first(w: &Workloads) -> Vec<&Name> {
    let calls: BTreeMap<&Name, &[Name]> = w
        .services
        .iter()
        .map(|s| (&s.name, s.calls.as_slice()))
        .chain(w.jobs.iter().map(|j| (&j.name, j.calls.as_slice())))
        .collect();
    fn visit<'n>(
        n: &'n Name,
        calls: &BTreeMap<&'n Name, &'n [Name]>,
        seen: &mut BTreeSet<&'n Name>,
        out: &mut Vec<&'n Name>,
    ) {
        if !seen.insert(n) {
            return;
        }
        for c in calls.get(n).copied().unwrap_or_default() {
            visit(c, calls, seen, out);
        }
        out.push(n);
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for n in w
        .services
        .iter()
        .map(|s| &s.name)
        .chain(w.jobs.iter().map(|j| &j.name))
    {
        visit(n, &calls, &mut seen, &mut out);
    }
    out
}

/// The output ID CDK gives the export of a reference:
/// `ExportsOutputRef<Id><hash>`, `ExportsOutputFnGetAtt<Id><Attr><hash>`.
pub fn export_id(target: &str, attr: Option<&str>) -> String {
    let reference = match attr {
        Some(a) => json!({"Fn::GetAtt": [target, a]}),
        None => json!({"Ref": target}),
    };
    make_unique_id(&["Exports", &format!("Output{reference}")])
}

/// At least the length of `export_id(target, attr)`, without hashing.
fn export_id_len(target: &str, attr: Option<&str>) -> usize {
    "ExportsOutputFnGetAtt".len() + target.len() + attr.map_or(0, str::len) + 8
}

/// `<Stack>:<OutputId>`, cut from the front to CloudFormation's 255
/// characters as CDK does.
pub fn export_name(stack: &str, target: &str, attr: Option<&str>) -> String {
    let name = format!("{stack}:{}", export_id(target, attr));
    let cut = name.len().saturating_sub(EXPORT_NAME_MAX);
    name[cut..].to_string()
}

/// Bytes `"<id>": <value>,` takes two levels deep in a rendered template.
fn entry_bytes(id: &str, value: &Value) -> usize {
    let (bytes, lines) = rendered(value);
    bytes + 2 * lines + id.len() + 8
}

/// Bytes and lines of `value` as `render` writes it, without keeping them.
fn rendered(value: &Value) -> (usize, usize) {
    struct Count(usize, usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            self.1 += buf.iter().filter(|b| **b == b'\n').count();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0, 0);
    to_cdk_json_writer(&mut count, value);
    // `render` ends the file with a newline.
    (count.0 + 1, count.1 + 1)
}

/// Every `Ref` and `Fn::GetAtt` in `v`: `(logical ID, attribute)`.
fn refs(v: &Value, f: &mut impl FnMut(&str, Option<&str>)) {
    match v {
        Value::Object(m) => {
            if let Some((target, attr)) = reference(m) {
                f(target, attr);
                return;
            }
            for x in m.values() {
                refs(x, f);
            }
        }
        Value::Array(a) => {
            for x in a {
                refs(x, f);
            }
        }
        _ => {}
    }
}

/// Replaces each `Ref`/`Fn::GetAtt` for which `f` has a value.
fn rewrite(v: &mut Value, f: &mut impl FnMut(&str, Option<&str>) -> Option<Value>) {
    match v {
        Value::Object(m) => {
            if let Some((target, attr)) = reference(m) {
                let (target, attr) = (target.to_string(), attr.map(str::to_string));
                if let Some(new) = f(&target, attr.as_deref()) {
                    *v = new;
                }
                return;
            }
            for x in m.values_mut() {
                rewrite(x, f);
            }
        }
        Value::Array(a) => {
            for x in a {
                rewrite(x, f);
            }
        }
        _ => {}
    }
}

fn reference(m: &Map<String, Value>) -> Option<(&str, Option<&str>)> {
    if m.len() != 1 {
        return None;
    }
    if let Some(Value::String(id)) = m.get("Ref") {
        return Some((id, None));
    }
    if let Some(Value::Array(a)) = m.get("Fn::GetAtt") {
        if let [Value::String(id), Value::String(attr)] = a.as_slice() {
            return Some((id, Some(attr)));
        }
    }
    None
}
