//! One integration-test binary: the built `blueprint` run as users run it.

mod attacks;
mod cli;
mod editor;
mod golden;
mod module_description;
mod ordering;
mod plan;
mod props;
mod support;
