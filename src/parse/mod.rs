//! YAML text -> a located node tree (every node knows its line, column and
//! YAML path). No defaults, no interpretation.
