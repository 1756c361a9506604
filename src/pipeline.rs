//! The blueprint's text to the output's files, in memory: what `render`
//! writes, without the disk. cli.rs runs the same steps but stages each
//! file as it is rendered (see `write::Stage`); the fuzz targets
//! (`tests/fuzz/`) and tests call [`render_to_bytes`].

use std::sync::Arc;

use crate::diag::Diagnostic;
use crate::model::{Model, Target};
use crate::targets::{self, Output};
use crate::{normalize, readme, render};

/// Every file of a target's output: the emitter's files and the folder's
/// README.md.
pub fn lower(model: &Arc<Model>, target: Target) -> Output {
    let mut output = targets::lower(model, target);
    readme::add(model, target, &mut output);
    output
}

/// What [`render_to_bytes`] produces.
#[derive(Debug)]
pub struct Rendered {
    /// Relative `/`-separated path and bytes, in path order.
    pub files: Vec<(String, Vec<u8>)>,
    /// What `render` prints as `note:` lines (Fargate rounding, clamps).
    pub notes: Vec<String>,
}

/// Parses, validates and fits `source`, then renders every file for
/// `target`, without touching the disk. `Err` holds every diagnostic, as
/// `blueprint render` prints them.
pub fn render_to_bytes(source: &str, target: Target) -> Result<Rendered, Vec<Diagnostic>> {
    let model = normalize::load(source)?;
    let unfit = normalize::fit(&model, target);
    if !unfit.is_empty() {
        return Err(unfit);
    }
    let model = Arc::new(model);
    let output = lower(&model, target);
    let files = render::render_each(output.files, |path, bytes| (path, bytes));
    Ok(Rendered {
        files,
        notes: output.notes,
    })
}
