//! Fitting a platform copy into CloudFormation's per-template quotas, and
//! writing the stacks it takes.
//!
//! Every unit is measured once (written as it would be in one stack,
//! counting resources, parameters, outputs and bytes, and noting its
//! references to other units). A copy that fits is one stack. One that
//! does not is split the way a CDK app author would split it: a shared
//! platform gets a stack for what every tenant uses (the KMS key, the
//! parameters) and one stack per shared tenant; a tenant (or a
//! single-tenant or dedicated copy) that is still too big continues in
//! numbered part stacks (`...-Part2`). Units are placed greedily in their
//! order (callees before callers), so every reference points to the same
//! stack or an earlier one and the stacks' dependencies never form a
//! cycle. A reference that crosses stacks becomes `Fn::ImportValue` of an
//! export the owning stack declares, as CDK writes cross-stack
//! references: an output `ExportsOutput...` with `Export.Name`
//! `<Stack>:<OutputId>`, and the importing artifact lists the exporting
//! stack in `dependencies`. Only resource attributes are exported: the
//! parameters units use are declared in every stack that holds such a
//! unit, so that each stack's parameters can be changed on their own.
//!
//! Stacks are written later (`write_stack`), one at a time and on any
//! thread, from the model, the copy and this layout.

use super::copy::{Copy, Param, View, SHARED};
use super::emit::{emit, parameters, Resolve, Sections};
use super::ids::pascal;
use super::notes::Notes;
use super::refs::{export_id, export_id_len, export_name, Ref};
use super::{MAX_OUTPUTS, MAX_PARAMETERS, MAX_RESOURCES, MAX_TEMPLATE_BYTES};
use crate::model::{Model, Name, PlatformKind};
use crate::render::cdk_json::{Count, Json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Room kept for a template's `Description` and its own braces when
/// packing.
const TEMPLATE_OVERHEAD_BYTES: usize = 4096;
/// A template's braces and section names around its entries.
const FRAME_BYTES: usize = 256;

/// The stacks of one copy.
pub struct Layout {
    pub stacks: Vec<StackPlan>,
    /// The stack of each unit.
    pub stack_of: Vec<usize>,
    /// Per stack, the names of its exports: logical ID -> (attribute,
    /// name). Made once here: each costs two MD5s, and a stack imports
    /// the same few items many times.
    names: Vec<ExportNames>,
}

/// A stack's export names: logical ID -> (attribute, name).
type ExportNames = BTreeMap<String, Vec<(Option<&'static str>, Arc<str>)>>;

impl Layout {
    fn export_name(&self, stack: usize, id: &str, attr: Option<&str>) -> Arc<str> {
        self.names[stack]
            .get(id)
            .and_then(|named| named.iter().find(|(a, _)| *a == attr))
            .map(|(_, name)| Arc::clone(name))
            .unwrap_or_else(|| export_name(&self.stacks[stack].name, id, attr).into())
    }
}

pub struct StackPlan {
    pub name: String,
    pub description: String,
    /// Its units, in order.
    pub units: Vec<usize>,
    /// Items other stacks import: (logical ID, attribute).
    pub exports: BTreeSet<(String, Option<&'static str>)>,
    /// Stacks it imports from, sorted.
    pub dependencies: Vec<String>,
    /// Resource types it declares, with how many of each.
    pub types: BTreeMap<&'static str, usize>,
    /// The parameters it declares ([`Param::bit`]s).
    pub params: u8,
    /// At least the bytes it is written with.
    pub max_bytes: usize,
}

/// What a template holds, against CloudFormation's quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Size {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    pub bytes: usize,
}

impl Size {
    fn counts_fit(&self) -> bool {
        self.resources <= MAX_RESOURCES
            && self.parameters <= MAX_PARAMETERS
            && self.outputs <= MAX_OUTPUTS
    }

    pub fn fits(&self) -> bool {
        self.counts_fit() && self.bytes <= MAX_TEMPLATE_BYTES
    }

    fn plus(&self, other: &Size) -> Size {
        Size {
            resources: self.resources + other.resources,
            parameters: self.parameters + other.parameters,
            outputs: self.outputs + other.outputs,
            bytes: self.bytes + other.bytes,
        }
    }
}

/// One unit, measured.
struct Measured {
    /// As written in one stack named after the copy.
    size: Size,
    /// Bytes with room for what a split adds: imports in place of its
    /// references, and a longer stack name in every `aws:cdk:path`.
    split_bytes: usize,
    /// References to other units: (unit, logical ID, attribute).
    cross: Vec<(usize, String, Option<&'static str>)>,
    types: Vec<(&'static str, usize)>,
    /// The parameters it uses ([`Param::bit`]s).
    params: u8,
}

/// The entries of the parameters in `mask`, measured.
fn params_size(mask: u8) -> Size {
    let mut s: Sections<Count> = Sections::new();
    parameters(mask, &mut s);
    Size {
        parameters: s.counts.parameters,
        bytes: s.bytes(),
        ..Size::default()
    }
}

/// While measuring: references stay in place and are noted.
struct Noting {
    cross: Vec<(usize, String, Option<&'static str>)>,
    import_bytes: usize,
    stack_max: usize,
}

impl Resolve for Noting {
    fn cross<'a>(&mut self, to: usize, id: &'a str, attr: Option<&'static str>) -> Ref<'a> {
        // `{"Fn::ImportValue": "<Stack>:<OutputId>"}`.
        self.import_bytes += self.stack_max + export_id_len(id, attr) + 80;
        self.cross.push((to, id.to_string(), attr));
        Ref::local(id, attr)
    }
}

/// When a stack is written: in place within the stack, imported across.
struct Placed<'l> {
    layout: &'l Layout,
    stack: usize,
}

impl Resolve for Placed<'_> {
    fn cross<'a>(&mut self, to: usize, id: &'a str, attr: Option<&'static str>) -> Ref<'a> {
        let owner = self.layout.stack_of[to];
        if owner == self.stack {
            return Ref::local(id, attr);
        }
        Ref::Import(self.layout.export_name(owner, id, attr))
    }
}

/// Measures the units of `v`'s copy and decides its stacks.
pub fn layout(v: View, notes: &mut Notes) -> Layout {
    let copy = v.copy;
    let shared = v.platform.kind == PlatformKind::Shared;
    let tenant_max = v
        .platform
        .tenants
        .iter()
        .filter_map(|w| w.tenant.as_ref())
        .map(|t| pascal(t.as_str()).len() + 1)
        .max()
        .unwrap_or(0);
    // The longest stack name a split can make.
    let stack_max = copy.name.len() + tenant_max + "-Part".len() + 6;

    // Counted, not written: only sizes are needed here.
    let mut sections: Sections<Count> = Sections::new();
    let mut measured = Vec::with_capacity(copy.units.len());
    for unit in 0..copy.units.len() {
        sections.clear();
        let mut noting = Noting {
            cross: Vec::new(),
            import_bytes: 0,
            stack_max,
        };
        emit(v, unit, &copy.name, &mut sections, &mut noting, Some(notes));
        let c = &sections.counts;
        let size = Size {
            resources: c.resources,
            parameters: c.parameters,
            outputs: c.outputs,
            bytes: sections.bytes(),
        };
        measured.push(Measured {
            size,
            split_bytes: size.bytes
                + noting.import_bytes
                + c.resources * (stack_max - copy.name.len()),
            cross: noting.cross,
            types: c.types.clone(),
            params: c.params,
        });
    }

    let whole_description = super::description(v.model, v.env, v.platform);
    let all_params = measured.iter().fold(0, |m, u| m | u.params);
    let whole = measured.iter().fold(
        params_size(all_params).plus(&Size {
            bytes: whole_description.len() + FRAME_BYTES,
            ..Size::default()
        }),
        |sum, m| sum.plus(&m.size),
    );
    let groups = if whole.fits() {
        vec![(
            copy.name.clone(),
            whole_description,
            (0..copy.units.len()).collect(),
            whole.bytes,
        )]
    } else {
        split(v, &measured, stack_max, shared)
    };
    let layout = finish(copy, groups, &measured);
    if layout.stacks.len() > 1 {
        notes.add(
            split_note(&copy.name, &whole, layout.stacks.len(), shared),
            v.env.name.as_str(),
        );
    }
    for st in &layout.stacks {
        let size = st.units.iter().fold(Size::default(), |sum, u| {
            sum.plus(&Size {
                bytes: measured[*u].split_bytes,
                ..measured[*u].size
            })
        });
        let size = Size {
            outputs: size.outputs + st.exports.len(),
            ..size
        };
        if !size.counts_fit() {
            notes.add(
                format!(
                    "stack {}: still over CloudFormation's quotas ({} resources, {} parameters, {} outputs); one workload alone is too big for a stack",
                    st.name, size.resources, size.parameters, size.outputs
                ),
                v.env.name.as_str(),
            );
        }
    }
    layout
}

/// A stack to be: its name, description, units and at least its bytes.
type Group = (String, String, Vec<usize>, usize);

/// The stacks of a copy too big for one.
fn split(v: View, measured: &[Measured], stack_max: usize, shared: bool) -> Vec<Group> {
    let copy = v.copy;
    // What other units may import from each unit.
    let mut exports: Vec<BTreeSet<(&str, Option<&str>)>> = vec![BTreeSet::new(); measured.len()];
    for m in measured {
        for (to, id, attr) in &m.cross {
            exports[*to].insert((id, *attr));
        }
    }
    // A unit's share of a stack: itself, and the exports it may declare.
    let cost = |u: usize| {
        let m = &measured[u];
        let export_bytes: usize = exports[u]
            .iter()
            .map(|(id, attr)| 2 * (stack_max + 1 + export_id_len(id, *attr)) + 160)
            .sum();
        let size = Size {
            resources: m.size.resources,
            parameters: m.size.parameters,
            outputs: m.size.outputs + exports[u].len(),
            bytes: m.split_bytes + export_bytes,
        };
        (size, m.params)
    };
    let head = format!("{}, environment {}", v.model.app.name, v.env.name);
    let mut groups = Vec::new();
    if shared {
        groups.push((
            copy.name.clone(),
            format!(
                "{head}: KMS key and parameters the stacks of its shared tenants import, generated by blueprint"
            ),
            vec![SHARED],
            measured[SHARED].split_bytes + 8 * 1024,
        ));
        for (s, scope) in copy.scopes.iter().enumerate() {
            let w = v.workloads(scope);
            let tenant = w.tenant.as_ref().map_or("", Name::as_str);
            let base = w.tenant.as_ref().map_or_else(
                || copy.name.clone(),
                |t| crate::aws::names::lambda::tenant_stack(&copy.name, t),
            );
            let order = (0..copy.units.len()).filter(|u| copy.units[*u].scope == Some(s));
            for (n, (units, bytes)) in pack(order, &cost).into_iter().enumerate() {
                let (name, part) = part_name(&base, n);
                let description = format!(
                    "{head}: Lambda functions, queues and APIs generated by blueprint (shared tenant {tenant}{part})"
                );
                let bytes = bytes + description.len() + FRAME_BYTES;
                groups.push((name, description, units, bytes));
            }
        }
    } else {
        let whole = super::description(v.model, v.env, v.platform);
        for (n, (units, bytes)) in pack(0..copy.units.len(), &cost).into_iter().enumerate() {
            let (name, part) = part_name(&copy.name, n);
            let description = format!("{whole}{part}");
            let bytes = bytes + description.len() + FRAME_BYTES;
            groups.push((name, description, units, bytes));
        }
    }
    groups
}

/// Greedy, in order: a unit joins the current stack while everything
/// still fits (with the parameters it needs that the stack does not
/// declare yet), else opens the next one. Each pack with at least its
/// entries' bytes.
fn pack(
    order: impl Iterator<Item = usize>,
    cost: &impl Fn(usize) -> (Size, u8),
) -> Vec<(Vec<usize>, usize)> {
    let mut sizes = [Size::default(); Param::ALL.len()];
    for p in Param::ALL {
        sizes[p as usize] = params_size(p.bit());
    }
    let params = |mask: u8| {
        Param::ALL
            .iter()
            .filter(|p| mask & p.bit() != 0)
            .fold(Size::default(), |sum, p| sum.plus(&sizes[*p as usize]))
    };
    let mut packs: Vec<(Vec<usize>, usize)> = Vec::new();
    let mut total = Size::default();
    let mut declared = 0u8;
    for u in order {
        let (add, needs) = cost(u);
        let next = total.plus(&add).plus(&params(needs & !declared));
        let fits = next.counts_fit() && next.bytes + TEMPLATE_OVERHEAD_BYTES <= MAX_TEMPLATE_BYTES;
        match packs.last_mut() {
            Some(pack) if fits => {
                pack.0.push(u);
                total = next;
                declared |= needs;
                pack.1 = total.bytes;
            }
            _ => {
                total = add.plus(&params(needs));
                declared = needs;
                packs.push((vec![u], total.bytes));
            }
        }
    }
    if packs.is_empty() {
        packs.push((Vec::new(), 0));
    }
    packs
}

/// The layout of `groups`: which stack each unit is in, and the exports,
/// dependencies and resource types of each stack.
fn finish(copy: &Copy, groups: Vec<Group>, measured: &[Measured]) -> Layout {
    let mut stack_of = vec![0; copy.units.len()];
    for (g, (_, _, units, _)) in groups.iter().enumerate() {
        for &u in units {
            stack_of[u] = g;
        }
    }
    let mut exports = vec![BTreeSet::new(); groups.len()];
    let mut depends = vec![BTreeSet::new(); groups.len()];
    let mut types = vec![BTreeMap::new(); groups.len()];
    let mut params = vec![0u8; groups.len()];
    for (u, m) in measured.iter().enumerate() {
        let g = stack_of[u];
        params[g] |= m.params;
        for (to, id, attr) in &m.cross {
            let owner = stack_of[*to];
            if owner != g {
                exports[owner].insert((id.clone(), *attr));
                depends[g].insert(owner);
            }
        }
        for (ty, n) in &m.types {
            *types[g].entry(*ty).or_default() += n;
        }
    }
    let names: Vec<String> = groups.iter().map(|(n, _, _, _)| n.clone()).collect();
    let export_names = exports
        .iter()
        .zip(&names)
        .map(|(set, stack)| {
            let mut named = ExportNames::new();
            for (id, attr) in set {
                let name = export_name(stack, id, *attr).into();
                named.entry(id.clone()).or_default().push((*attr, name));
            }
            named
        })
        .collect();
    let stacks = groups
        .into_iter()
        .zip(exports)
        .zip(depends)
        .zip(types)
        .zip(params)
        .map(
            |(((((name, description, units, max_bytes), exports), depends), types), params)| {
                let dependencies: BTreeSet<String> =
                    depends.iter().map(|d| names[*d].clone()).collect();
                StackPlan {
                    name,
                    description,
                    units,
                    exports,
                    dependencies: dependencies.into_iter().collect(),
                    types,
                    params,
                    max_bytes,
                }
            },
        )
        .collect();
    Layout {
        stacks,
        stack_of,
        names: export_names,
    }
}

/// The bytes the measuring pass counts for all units of `v`'s copy and
/// the parameters they use.
#[cfg(test)]
pub fn counted_bytes(v: View) -> usize {
    let mut sections: Sections<Count> = Sections::new();
    let mut noting = Noting {
        cross: Vec::new(),
        import_bytes: 0,
        stack_max: 0,
    };
    for unit in 0..v.copy.units.len() {
        emit(v, unit, &v.copy.name, &mut sections, &mut noting, None);
    }
    sections.bytes() + params_size(sections.counts.params).bytes
}

/// `v`'s copy as one stack, whatever its size (to compare a split with).
#[cfg(test)]
pub fn one_stack(v: View) -> Layout {
    let copy = v.copy;
    let mut sections: Sections<Count> = Sections::new();
    let mut noting = Noting {
        cross: Vec::new(),
        import_bytes: 0,
        stack_max: 0,
    };
    for unit in 0..copy.units.len() {
        emit(v, unit, &copy.name, &mut sections, &mut noting, None);
    }
    Layout {
        stacks: vec![StackPlan {
            name: copy.name.clone(),
            description: String::new(),
            units: (0..copy.units.len()).collect(),
            exports: BTreeSet::new(),
            dependencies: Vec::new(),
            types: BTreeMap::new(),
            params: sections.counts.params,
            max_bytes: 0,
        }],
        stack_of: vec![0; copy.units.len()],
        names: vec![BTreeMap::new()],
    }
}

/// The bytes of stack `stack` of `copy`: its units' entries, references
/// across stacks as imports, then the exports other stacks import.
pub fn write_stack(model: &Model, copy: &Copy, layout: &Layout, stack: usize) -> Vec<u8> {
    let v = View::new(model, copy);
    let st = &layout.stacks[stack];
    let mut sections = Sections::with_capacity(st.max_bytes.min(MAX_TEMPLATE_BYTES));
    let mut placed = Placed { layout, stack };
    parameters(st.params, &mut sections);
    for &u in &st.units {
        emit(v, u, &st.name, &mut sections, &mut placed, None);
    }
    for (id, attr) in &st.exports {
        sections.outputs.entry(&export_id(id, *attr)).object(|o| {
            Ref::local(id, *attr).write(o.field("Value"));
            o.field("Export")
                .object(|o| o.field("Name").str(&layout.export_name(stack, id, *attr)));
        });
    }
    assemble(&st.description, &sections)
}

/// A template from its sections' entries.
fn assemble(description: &str, s: &Sections) -> Vec<u8> {
    fn section(j: &mut Json, entries: &Json) {
        match entries.bytes().split_first() {
            // Entries start with `,`; the first one's is dropped.
            Some((_, rest)) => {
                j.raw(b"{");
                j.raw(rest);
                j.raw(b"\n }");
            }
            None => j.raw(b"{}"),
        }
    }
    let mut j = Json::at_depth(0);
    j.reserve(s.bytes() + description.len() + 128);
    j.object(|o| {
        o.field("Description").str(description);
        if !s.parameters.is_empty() {
            section(o.field("Parameters"), &s.parameters);
        }
        if !s.conditions.is_empty() {
            section(o.field("Conditions"), &s.conditions);
        }
        section(o.field("Resources"), &s.resources);
        if !s.outputs.is_empty() {
            section(o.field("Outputs"), &s.outputs);
        }
    });
    let mut bytes = j.into_bytes();
    bytes.push(b'\n');
    bytes
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

/// What `render` says when a stack had to be split.
fn split_note(name: &str, whole: &Size, stacks: usize, shared: bool) -> String {
    let over = if whole.resources > MAX_RESOURCES {
        format!(
            "{} resources (CloudFormation allows {MAX_RESOURCES})",
            whole.resources
        )
    } else if whole.parameters > MAX_PARAMETERS {
        format!(
            "{} parameters (CloudFormation allows {MAX_PARAMETERS})",
            whole.parameters
        )
    } else if whole.outputs > MAX_OUTPUTS {
        format!(
            "{} outputs (CloudFormation allows {MAX_OUTPUTS})",
            whole.outputs
        )
    } else {
        format!(
            "{} bytes (CloudFormation allows {MAX_TEMPLATE_BYTES})",
            whole.bytes
        )
    };
    let how = if shared {
        "a stack for the shared key and parameters, then one stack per shared tenant instead of one for all (blueprint-v1 asks for one; it cannot be deployed), each continued in -PartN stacks while still too big"
    } else {
        "-PartN stacks"
    };
    format!(
        "stack {name}: {over}; split into {stacks} stacks ({how}) that share resources through exports; deploy them in the order of the dependencies in manifest.json"
    )
}
