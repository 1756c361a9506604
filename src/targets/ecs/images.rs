//! Image tags as Terraform variables, so CI can bump a tag with
//! `-var api_image_tag=1.4.3` without fighting Terraform. One variable per
//! workload for the image the environment runs; a tenant whose overrides pin
//! another image gets its own (`api_image_tag_globex`).

use crate::model::{Environment, Image, Workloads};
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

fn images(w: &Workloads) -> impl Iterator<Item = (String, &Image)> {
    w.services
        .iter()
        .map(|s| (s.name.to_string(), &s.image))
        .chain(w.jobs.iter().map(|j| (j.name.to_string(), &j.image)))
}

fn declare(name: String, whose: &str, image: &Image) -> ImageVariable {
    ImageVariable {
        default: image.tag_or_latest().to_string(),
        description: format!(
            "Image tag (or sha256 digest) of {whose}, from {}.",
            image.repository
        ),
        name,
    }
}

impl ImageVariables {
    pub fn for_environment(env: &Environment) -> ImageVariables {
        let base: BTreeMap<String, &Image> = images(&env.base).collect();
        let mut by_use = BTreeMap::new();
        let mut declared: BTreeMap<String, ImageVariable> = BTreeMap::new();
        for (workload, image) in &base {
            let var = format!("{}_image_tag", workload.replace('-', "_"));
            declared.insert(var.clone(), declare(var, workload, image));
        }
        for (_, w) in env.all_workloads() {
            let tenant = w.tenant.as_ref().map(|t| t.to_string());
            for (workload, image) in images(w) {
                let snake = workload.replace('-', "_");
                let var = match &tenant {
                    Some(t) if base.get(&workload) != Some(&image) => {
                        let var = format!("{snake}_image_tag_{}", t.replace('-', "_"));
                        let whose = format!("{workload} for tenant {t}");
                        declared
                            .entry(var.clone())
                            .or_insert_with(|| declare(var.clone(), &whose, image));
                        var
                    }
                    _ => format!("{snake}_image_tag"),
                };
                by_use.insert((tenant.clone(), workload), var);
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

/// The registry host an image is pulled from, as Docker reads a
/// reference: the first path component when it has a `.` or a `:` or is
/// `localhost` (`ghcr.io`, `registry.example.com:5000`), otherwise Docker
/// Hub (`docker.io`). Private-registry credentials are keyed by it.
pub fn registry(image: &Image) -> &str {
    match image.repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_hosts_as_docker_reads_them() {
        for (image, host) in [
            ("nginx:1.27", "docker.io"),
            ("acme/api:1", "docker.io"),
            ("ghcr.io/acme/api:1", "ghcr.io"),
            ("registry.example.com:5000/api", "registry.example.com:5000"),
            ("localhost/api", "localhost"),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/api@sha256:00",
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            ),
        ] {
            assert_eq!(registry(&Image::parse(image).unwrap()), host, "{image}");
        }
    }
}
