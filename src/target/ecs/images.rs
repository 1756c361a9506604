//! Image tags as Terraform variables, so CI can bump a tag with
//! `-var api_image_tag=1.4.3` without fighting Terraform. One variable per
//! workload for the image most of its tenants run; a tenant pinned to another
//! image gets its own (`api_image_tag_globex`).

use crate::model::{Environment, Image};
use std::collections::BTreeMap;

pub struct ImageVariable {
    pub name: String,
    pub default: String,
    pub description: String,
}

/// Which variable each (tenant, workload) reads, and the variables to declare.
pub struct ImageVariables {
    by_use: BTreeMap<(Option<String>, String), String>,
    pub declared: Vec<ImageVariable>,
}

impl ImageVariables {
    pub fn for_environment(env: &Environment) -> ImageVariables {
        // workload -> image -> tenants running it
        let mut uses: BTreeMap<String, BTreeMap<Image, Vec<Option<String>>>> = BTreeMap::new();
        for (_, w) in env.all_workloads() {
            let tenant = w.tenant.as_ref().map(|t| t.to_string());
            let images = w
                .services
                .iter()
                .map(|s| (&s.name, &s.image))
                .chain(w.jobs.iter().map(|j| (&j.name, &j.image)));
            for (name, image) in images {
                uses.entry(name.to_string())
                    .or_default()
                    .entry(image.clone())
                    .or_default()
                    .push(tenant.clone());
            }
        }
        let mut by_use = BTreeMap::new();
        let mut declared: BTreeMap<String, ImageVariable> = BTreeMap::new();
        for (workload, images) in uses {
            let snake = workload.replace('-', "_");
            // The image most tenants run is the workload's own; ties go to the
            // first in sort order, so the choice is stable.
            let common = images
                .iter()
                .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))
                .map(|(i, _)| i.clone());
            for (image, tenants) in &images {
                let is_common = Some(image) == common.as_ref();
                for tenant in tenants {
                    let var = match (is_common, tenant) {
                        (true, _) | (false, None) => format!("{snake}_image_tag"),
                        (false, Some(t)) => format!("{snake}_image_tag_{}", t.replace('-', "_")),
                    };
                    by_use.insert((tenant.clone(), workload.clone()), var.clone());
                    if !declared.contains_key(&var) {
                        let whose = match (is_common, tenant) {
                            (false, Some(t)) => format!("{workload} of tenant {t}"),
                            _ => workload.clone(),
                        };
                        declared.insert(
                            var.clone(),
                            ImageVariable {
                                name: var,
                                default: image.tag_or_latest().to_string(),
                                description: format!(
                                    "Image tag (or sha256 digest) of {whose}, from {}.",
                                    image.repository
                                ),
                            },
                        );
                    }
                }
            }
        }
        ImageVariables {
            by_use,
            declared: declared.into_values().collect(),
        }
    }

    /// The variable holding the tag of `workload` for `tenant`.
    pub fn variable(&self, tenant: Option<&str>, workload: &str) -> &str {
        self.by_use
            .get(&(tenant.map(str::to_string), workload.to_string()))
            .map(String::as_str)
            .unwrap_or("image_tag")
    }
}
