//! A stateful service on ECS, read from the rendered HCL: the platform
//! module's EFS resources (`modules/platform/storage.tf`, `tasks.tf`) and
//! what the roots pass them, for tests/blueprints/stateful.yaml.

use super::lower;
use super::tests_plan::{attr as expr, module_body as module_file, one_line, resource, text};
use crate::model::Model;
use crate::render::render;
use crate::targets::Output;
use hcl::{Block, Body, Expression};

const STATEFUL: &str = include_str!("../../../tests/blueprints/stateful.yaml");

fn model(src: &str) -> Model {
    crate::normalize::load(src).unwrap_or_else(|d| panic!("{d:#?}"))
}

/// A root file as `render` writes it, parsed.
fn root_file(out: &Output, path: &str) -> Body {
    hcl::parse(&text(out, path)).unwrap()
}

fn nested<'a>(b: &'a Body, ident: &str) -> Vec<&'a Block> {
    b.blocks().filter(|n| n.identifier() == ident).collect()
}

fn attr(b: &Body, key: &str) -> String {
    one_line(expr(b, key).unwrap_or_else(|| panic!("attribute {key} missing")))
}

/// The object value of `key` inside an HCL object expression.
fn field<'a>(e: &'a Expression, key: &str) -> &'a Expression {
    let Expression::Object(o) = e else {
        panic!("not an object: {}", one_line(e))
    };
    o.iter()
        .find(|(k, _)| {
            let k = hcl::format::to_string(*k).unwrap();
            k.trim_matches('"') == key
        })
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("{key} missing in {}", one_line(e)))
}

/// `services` of module `label` in a root's main.tf.
fn services_of<'a>(main: &'a Body, label: &str) -> &'a Expression {
    let m = main
        .blocks()
        .find(|b| b.identifier() == "module" && b.labels()[0].as_str() == label)
        .unwrap_or_else(|| panic!("module {label} missing"));
    m.body()
        .attributes()
        .find(|a| a.key() == "services")
        .unwrap()
        .expr()
}

#[test]
fn the_file_system_is_encrypted_with_the_platform_key_and_backed_up() {
    let out = lower(&model(STATEFUL));
    let storage = module_file(&out, "storage.tf");
    let fs = resource(&storage, "aws_efs_file_system", "service").body();
    assert_eq!(attr(fs, "for_each"), "local.stateful");
    assert_eq!(attr(fs, "encrypted"), "true");
    assert_eq!(attr(fs, "kms_key_id"), "aws_kms_key.platform.arn");
    assert_eq!(attr(fs, "performance_mode"), "\"generalPurpose\"");
    assert_eq!(attr(fs, "throughput_mode"), "\"elastic\"");
    assert_eq!(attr(fs, "creation_token"), "each.value.storage.file_system");
    let backup = resource(&storage, "aws_efs_backup_policy", "service").body();
    assert_eq!(
        attr(backup, "file_system_id"),
        "aws_efs_file_system.service[each.key].id"
    );
    let status = nested(backup, "backup_policy");
    assert_eq!(attr(status[0].body(), "status"), "\"ENABLED\"");
    // Only over TLS: the file system policy denies every client action
    // without it (and, being a policy, ends EFS's default anonymous access).
    let policy = attr(
        resource(&storage, "aws_efs_file_system_policy", "service").body(),
        "policy",
    );
    for part in [
        "Effect = \"Deny\"",
        "Action = var.iam_actions.storage_client",
        "Resource = aws_efs_file_system.service[each.key].arn",
        "Condition = { Bool = { \"aws:SecureTransport\" = \"false\" } }",
    ] {
        assert!(policy.contains(part), "{part} not in {policy}");
    }
    assert!(!policy.contains("\"Allow\""), "{policy}");
}

#[test]
fn one_mount_target_per_zone_of_the_private_subnets_admits_nfs_from_its_service_only() {
    let out = lower(&model(STATEFUL));
    let storage = module_file(&out, "storage.tf");
    let locals = nested(&storage, "locals");
    let local = |k: &str| attr(locals[0].body(), k);
    assert_eq!(
        local("stateful"),
        "{for k, s in var.services : k => s if s.storage != null}"
    );
    // Every private subnet is looked up, and each zone gets one mount
    // target, in the first of its private subnets: EFS refuses a second
    // one in a zone.
    let subnets = storage
        .blocks()
        .find(|b| b.identifier() == "data" && b.labels()[0].as_str() == "aws_subnet")
        .expect("data aws_subnet");
    assert_eq!(
        attr(subnets.body(), "for_each"),
        "length(local.stateful) > 0 ? toset(var.private_subnet_ids) : toset([])"
    );
    assert!(
        local("storage_zones").contains("s.availability_zone => id...")
            && local("storage_zones").contains("sort(subnets)[0]"),
        "{}",
        local("storage_zones")
    );
    assert!(
        local("mount_targets").contains("for zone, subnet in local.storage_zones"),
        "{}",
        local("mount_targets")
    );
    let mt = resource(&storage, "aws_efs_mount_target", "service").body();
    assert_eq!(attr(mt, "for_each"), "local.mount_targets");
    assert_eq!(attr(mt, "subnet_id"), "each.value.subnet");
    assert_eq!(
        attr(mt, "security_groups"),
        "[ aws_security_group.storage[each.value.service].id ]"
    );
    // NFS into the mount targets only from the service's own tasks, and
    // the matching egress; no other rule names the storage group.
    let ingress = resource(
        &storage,
        "aws_vpc_security_group_ingress_rule",
        "storage_nfs",
    )
    .body();
    assert_eq!(
        attr(ingress, "security_group_id"),
        "aws_security_group.storage[each.key].id"
    );
    assert_eq!(
        attr(ingress, "referenced_security_group_id"),
        "aws_security_group.workload[each.key].id"
    );
    let egress = resource(
        &storage,
        "aws_vpc_security_group_egress_rule",
        "storage_nfs",
    )
    .body();
    assert_eq!(
        attr(egress, "security_group_id"),
        "aws_security_group.workload[each.key].id"
    );
    for rule in [ingress, egress] {
        assert_eq!(attr(rule, "from_port"), "2049");
        assert_eq!(attr(rule, "to_port"), "2049");
        assert_eq!(attr(rule, "ip_protocol"), "\"tcp\"");
    }
    let everything: String = out
        .files
        .iter()
        .filter(|(p, _)| p.starts_with("modules/platform/") && p.ends_with(".tf"))
        .map(|(_, d)| String::from_utf8(render(d)).unwrap())
        .collect();
    assert_eq!(
        everything.matches("aws_security_group.storage[").count(),
        3,
        "the storage group is named by its two NFS rules and the mount targets only"
    );
    // What `plan` and `diff` count: one mount target per private subnet
    // (three here) for each of the three copies' two stateful services.
    let main = root_file(&out, "prod/main.tf");
    let counted = crate::review::terraform_root_resources(&[&main]);
    let mts: Vec<&String> = counted
        .iter()
        .filter(|a| a.contains("aws_efs_mount_target.service"))
        .collect();
    assert_eq!(mts.len(), 3 * 3 * 2, "{mts:#?}");
}

#[test]
fn the_access_point_acts_as_a_user_that_is_not_root() {
    let out = lower(&model(STATEFUL));
    let storage = module_file(&out, "storage.tf");
    let ap = resource(&storage, "aws_efs_access_point", "service").body();
    let user = nested(ap, "posix_user");
    assert_eq!(attr(user[0].body(), "uid"), "each.value.storage.uid");
    assert_eq!(attr(user[0].body(), "gid"), "each.value.storage.gid");
    let root = nested(ap, "root_directory");
    assert_eq!(attr(root[0].body(), "path"), "\"/data\"");
    let info = nested(root[0].body(), "creation_info");
    assert_eq!(attr(info[0].body(), "owner_uid"), "each.value.storage.uid");
    assert_eq!(attr(info[0].body(), "owner_gid"), "each.value.storage.gid");
    assert_eq!(attr(info[0].body(), "permissions"), "\"0750\"");
    // What every copy passes: a user and group that are not root (0).
    for env in ["prod", "dev"] {
        let main = root_file(&out, &format!("{env}/main.tf"));
        for (label, key) in [
            ("shared", "globex/search"),
            ("shared", "initech/search"),
            ("tenant_acme", "search"),
        ] {
            let st = field(field(services_of(&main, label), key), "storage");
            for id in ["uid", "gid"] {
                let v = one_line(field(st, id));
                assert_eq!(v, "10001", "{env} {label} {key} {id}");
                assert_ne!(v, "0");
            }
            assert_eq!(
                one_line(field(st, "path")),
                "\"/usr/share/opensearch/data\""
            );
        }
    }
}

#[test]
fn the_task_mounts_it_over_tls_with_iam_through_the_access_point_read_write() {
    let out = lower(&model(STATEFUL));
    let tasks = module_file(&out, "tasks.tf");
    let td = resource(&tasks, "aws_ecs_task_definition", "workload").body();
    let storage_volume = nested(td, "dynamic")
        .into_iter()
        .find(|d| {
            d.labels()[0].as_str() == "volume"
                && attr(d.body(), "for_each").contains("each.value.storage")
        })
        .expect("the storage volume");
    assert_eq!(
        attr(storage_volume.body(), "for_each"),
        "each.value.storage == null ? [] : [each.key]"
    );
    let content = nested(storage_volume.body(), "content");
    assert_eq!(attr(content[0].body(), "name"), "\"storage\"");
    let efs = nested(content[0].body(), "efs_volume_configuration");
    let efs = efs[0].body();
    assert_eq!(
        attr(efs, "file_system_id"),
        "aws_efs_file_system.service[volume.value].id"
    );
    assert_eq!(attr(efs, "transit_encryption"), "\"ENABLED\"");
    let auth = nested(efs, "authorization_config");
    assert_eq!(attr(auth[0].body(), "iam"), "\"ENABLED\"");
    assert_eq!(
        attr(auth[0].body(), "access_point_id"),
        "aws_efs_access_point.service[volume.value].id"
    );
    // Mounted read-write at the storage path by the app container, whose
    // root filesystem stays read-only.
    let locals = nested(&tasks, "locals");
    let mounts = attr(locals[0].body(), "storage_mounts");
    assert!(
        mounts.contains(
            "{ sourceVolume = \"storage\", containerPath = w.storage.path, readOnly = false }"
        ),
        "{mounts}"
    );
    let containers = attr(td, "container_definitions");
    assert!(
        containers.contains(
            "mountPoints = concat(local.scratch_mounts[each.key], local.storage_mounts[each.key])"
        ),
        "{containers}"
    );
    assert_eq!(
        containers.matches("readonlyRootFilesystem = true").count(),
        2
    );
    // A single-task stateful service stops its old task before the new one
    // starts (a StatefulSet's order); others roll with a surge.
    let services = module_file(&out, "services.tf");
    let locals = nested(&services, "locals");
    assert_eq!(
        attr(locals[0].body(), "stop_first"),
        "{for k, s in var.services : k => s.storage != null && s.max_count == 1}"
    );
    for name in ["this", "scaled"] {
        let svc = resource(&services, "aws_ecs_service", name).body();
        assert_eq!(
            attr(svc, "deployment_minimum_healthy_percent"),
            "local.stop_first[each.key] ? 0 : 100"
        );
        assert_eq!(
            attr(svc, "deployment_maximum_percent"),
            "local.stop_first[each.key] ? 100 : 200"
        );
    }
    let main = root_file(&out, "prod/main.tf");
    let db = field(services_of(&main, "tenant_acme"), "catalog-db");
    assert_eq!(one_line(field(db, "max_count")), "1");
    assert_eq!(
        one_line(field(field(db, "storage"), "path")),
        "\"/var/lib/postgresql/data\""
    );
    // The services run on Fargate's LATEST platform version (1.4.0, the
    // first with EFS): none pins an older one.
    for name in ["this", "scaled"] {
        let svc = resource(&services, "aws_ecs_service", name).body();
        assert!(svc.attributes().all(|a| a.key() != "platform_version"));
    }
}

#[test]
fn the_task_role_may_mount_only_its_own_file_system_through_its_access_point() {
    let out = lower(&model(STATEFUL));
    let storage = module_file(&out, "storage.tf");
    let p = resource(&storage, "aws_iam_role_policy", "task_storage").body();
    assert_eq!(attr(p, "for_each"), "local.stateful");
    assert_eq!(attr(p, "role"), "aws_iam_role.task[each.key].id");
    let policy = attr(p, "policy");
    for part in [
        "Effect = \"Allow\"",
        "Action = var.iam_actions.storage_mount",
        "Resource = aws_efs_file_system.service[each.key].arn",
        "Condition = { StringEquals = { \"elasticfilesystem:AccessPointArn\" = aws_efs_access_point.service[each.key].arn } }",
    ] {
        assert!(policy.contains(part), "{part} not in {policy}");
    }
    assert_eq!(policy.matches("Sid =").count(), 1, "{policy}");
    // The roots pass mount and write, never root access.
    let main = root_file(&out, "prod/main.tf");
    let m = main
        .blocks()
        .find(|b| b.identifier() == "module")
        .unwrap()
        .body();
    let actions = m
        .attributes()
        .find(|a| a.key() == "iam_actions")
        .unwrap()
        .expr();
    assert_eq!(
        one_line(field(actions, "storage_mount")),
        "[ \"elasticfilesystem:ClientMount\", \"elasticfilesystem:ClientWrite\" ]"
    );
    // `diff` lists the grant as a widening, naming the file system.
    let bytes = render(&out.files["prod/main.tf"]);
    let review = crate::review::review(&[crate::review::FileChange {
        path: "prod/main.tf",
        old: None,
        new: Some(&bytes),
    }]);
    let grants: Vec<&str> = review
        .widenings
        .iter()
        .map(|w| w.grant.detail.as_str())
        .collect();
    assert!(
        grants.iter().any(|g| g.contains(
            "allow elasticfilesystem:ClientMount, elasticfilesystem:ClientWrite on EFS file system findit-prod-globex-search through its access point (for globex/search)"
        )),
        "{grants:#?}"
    );
}

#[test]
fn storage_names_fit_and_are_registered() {
    let app = "a".repeat(27) + "x";
    let env = "e".repeat(15) + "x";
    let svc = "s".repeat(31) + "x";
    let tenant = "t".repeat(15) + "x";
    let src = format!(
        "version: 1\nname: {app}\nregion: eu-west-1\nservices:\n  {svc}: {{ image: x, port: 80, stateful: true, storage: {{ path: /data, size: 1Gi }} }}\ntenants:\n  {tenant}: {{}}\n  other: {{}}\nenvironments:\n  {env}: {{}}\n"
    );
    let m = model(&src);
    assert_eq!(
        crate::aws::registry::check(&m, crate::model::Target::Ecs),
        Vec::new()
    );
    let env = &m.environments[0];
    let p = &env.platforms[0];
    let copy = crate::aws::names::Copy::new(&m, env, p);
    let w = &p.tenants[1];
    let n = crate::aws::names::ecs::service(&copy, w.tenant.as_ref(), &w.services[0]);
    let st = n.storage.expect("a stateful service has storage names");
    assert!(st.file_system.len() <= 64, "{}", st.file_system);
    assert!(st.file_system.starts_with(&app), "{}", st.file_system);
    assert!(st.security_group.ends_with("-efs"), "{}", st.security_group);
    assert_ne!(st.security_group, n.task.security_group);
    // Both are registered: anything else taking either name is refused.
    use crate::aws::names::Kind;
    use crate::aws::registry::{Origin, Registry};
    for (kind, name) in [
        (Kind::EfsFileSystem, &st.file_system),
        (Kind::SecurityGroup, &st.security_group),
    ] {
        let mut reg = Registry::default();
        crate::aws::names::ecs::register(&m, &mut reg);
        reg.add(kind, name, &Origin::environment(env, "something else"));
        let d = reg.diagnostics(&m);
        assert_eq!(d.len(), 1, "{kind:?} {name} was not registered: {d:#?}");
        assert!(d[0].message.contains(name.as_str()), "{}", d[0].message);
    }
    // A creation token AWS would refuse is refused at render.
    let long = "f".repeat(65);
    assert!(Kind::EfsFileSystem.refuses(&long).is_some());
    // Stateless services have none.
    let plain =
        model("version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: { image: x }\n");
    let env = &plain.environments[0];
    let copy = crate::aws::names::Copy::new(&plain, env, &env.platforms[0]);
    let s = &env.platforms[0].tenants[0].services[0];
    assert!(crate::aws::names::ecs::service(&copy, None, s)
        .storage
        .is_none());
}

#[test]
fn a_copy_without_stateful_services_passes_no_storage() {
    let out = lower(&model(
        "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  api: { image: x, port: 80 }\n",
    ));
    let main = String::from_utf8(render(&out.files["prod/main.tf"])).unwrap();
    // Only the module's IAM action lists, which every copy is passed.
    let storage: Vec<&str> = main
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("storage"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(storage, ["storage_mount", "storage_client"], "{main}");
    // ... while the module still holds storage.tf, creating nothing.
    assert!(out.files.contains_key("modules/platform/storage.tf"));
    assert!(out.notes.iter().all(|n| !n.contains("storage")));
}

#[test]
fn the_storage_path_is_the_file_system_not_scratch_and_its_size_is_a_note() {
    let out = lower(&model(
        "version: 1\nname: shop\nregion: eu-west-1\nservices:\n  db:\n    image: x\n    port: 5432\n    stateful: true\n    storage: { path: /var/lib/db, size: 30Gi }\n    writable_paths: [/var/lib/db, /var/run]\n",
    ));
    let main = root_file(&out, "prod/main.tf");
    let db = field(services_of(&main, "platform"), "db");
    assert_eq!(
        one_line(field(db, "scratch_paths")),
        "[ \"/var/lib/amazon\", \"/var/log/amazon\", \"/var/run\" ]",
        "the storage path is writable through EFS, not a second mount at the same path"
    );
    assert_eq!(
        one_line(field(field(db, "storage"), "path")),
        "\"/var/lib/db\""
    );
    let note = out
        .notes
        .iter()
        .find(|n| n.starts_with("db: `storage.size` 30Gi is advisory on ECS"))
        .unwrap_or_else(|| panic!("{:#?}", out.notes));
    assert!(note.contains("EFS is elastic"), "{note}");
    assert!(note.contains("at /var/lib/db (prod)"), "{note}");
}

#[test]
fn a_new_size_changes_nothing_that_is_applied() {
    // EFS is elastic: only `plan`'s estimate and the render note follow
    // the size, so raising it is no change to any resource.
    let small = lower(&model(STATEFUL));
    let large = lower(&model(&STATEFUL.replace("size: 50Gi", "size: 900Gi")));
    for (path, doc) in &small.files {
        if path.ends_with(".tf") {
            assert_eq!(render(doc), render(&large.files[path]), "{path}");
        }
    }
    assert_ne!(small.notes, large.notes);
}
