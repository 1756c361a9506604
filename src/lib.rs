//! blueprint: one platform-neutral YAML blueprint in, reviewable
//! infrastructure code out. See ARCHITECTURE.md for the map.

pub mod aws;
pub mod cli;
pub mod diag;
pub mod doc;
pub mod generate;
pub mod graph;
pub mod model;
pub mod normalize;
pub mod parallel;
pub mod parse;
pub mod pipeline;
pub mod plan;
pub mod readme;
pub mod render;
pub mod review;
pub mod schema;
pub mod starter;
pub mod stdio;
pub mod targets;
pub mod write;

pub use cli::run;
