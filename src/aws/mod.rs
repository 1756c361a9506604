//! The one layer that decides every AWS fact blueprint relies on, for every
//! target, for `plan` and for `review`: what each resource is called and
//! within which limits (`names`), whether two generated names collide
//! (`registry`), which IAM actions each use of a queue or secret needs
//! (`iam`), which tags AWS accepts and which every resource carries
//! (`tags`), the defaults a target fills in (`defaults`), and in which
//! order nested routes are matched (`routes`), and the runtime contract:
//! which variables tell each workload where its queues, callees and
//! secrets are (`contract`).
//!
//! Targets lower the model into documents; they never spell an AWS name,
//! an action list or a default themselves.

pub mod alarms;
pub mod contract;
pub mod defaults;
pub mod iam;
pub mod names;
pub mod registry;
pub mod routes;
pub mod tags;
