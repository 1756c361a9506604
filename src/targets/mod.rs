//! One emitter per target: `lower(&Model) -> Output`.

pub mod ecs;
pub mod eks;
pub mod lambda;
pub mod terraform;
#[cfg(test)]
mod tests;

use crate::doc::FileSet;
use crate::model::{Model, Target};
use std::sync::Arc;

/// What an emitter produces: the files, and notes for the user (e.g. the
/// Fargate rounding) that `render` prints.
#[derive(Debug, Default)]
pub struct Output {
    pub files: FileSet,
    pub notes: Vec<String>,
}

/// Whether `target` has an emitter yet.
pub fn is_implemented(target: Target) -> bool {
    match target {
        Target::Ecs => true,
        Target::Eks => true,
        Target::Lambda => true,
    }
}

/// Lowers a model that fits `target` (see `normalize::fit`). Shared,
/// because some documents are written from it later (`Document::Deferred`).
pub fn lower(model: &Arc<Model>, target: Target) -> Output {
    match target {
        Target::Ecs => ecs::lower(model),
        Target::Eks => eks::lower(model),
        Target::Lambda => lambda::lower(model),
    }
}
