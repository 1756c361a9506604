//! The only module that touches the output folder.
