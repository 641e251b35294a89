//! Career procedures: the catalog of types (windows, fees, documents, fields as data), the
//! guide's rules computed in code (quotes), a student's procedures and their links to tickets,
//! status changes by staff or the career system, and the deadline-aware SLA.

pub mod calendar;
pub mod catalog;
pub mod changes;
pub mod deadline;
pub mod instances;
pub mod integration;
pub mod money;
pub mod part_time;
pub mod quote;
pub mod rules;
pub mod service;
pub mod status;
