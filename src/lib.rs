//! blueprint: one platform-neutral YAML blueprint in, reviewable
//! infrastructure code out. See ARCHITECTURE.md for the map.

pub mod cli;
pub mod diag;
pub mod doc;
pub mod generate;
pub mod model;
pub mod normalize;
pub mod parse;
pub mod render;
pub mod target;
pub mod write;

pub use cli::run;
