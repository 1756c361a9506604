//! One emitter per target: `lower(&Model) -> FileSet`.

pub mod ecs;
pub mod names;

use crate::doc::FileSet;

/// What an emitter produces: the files, and notes for the user (e.g. the
/// Fargate rounding) that `render` prints.
#[derive(Debug, Default)]
pub struct Output {
    pub files: FileSet,
    pub notes: Vec<String>,
}
