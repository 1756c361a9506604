//! EKS: cluster Terraform, Karpenter, Kustomize base and overlays.

use super::Output;
use crate::model::Model;

pub fn lower(model: &Model) -> Output {
    let _ = model;
    Output::default()
}
