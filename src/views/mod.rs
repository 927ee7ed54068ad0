//! Views: flat, serializable pictures of a checked stack for people and tools —
//! the plan (`eosc plan`, `plan.json`) and the dependency graph (`eosc graph`).

pub mod cold_start;
pub mod graph;
pub mod plan;
