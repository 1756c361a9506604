//! Lambda + API Gateway + EventBridge as a `cdk synth`-style cloud assembly.

use super::Output;
use crate::model::Model;

pub fn lower(model: &Model) -> Output {
    let _ = model;
    Output::default()
}
