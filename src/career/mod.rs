//! Career procedures. So far: the guide's rules (fees, admission year, withdrawal) computed in
//! code and exposed as quotes; the catalog, instances and their links to tickets come next.

pub mod quote;
pub mod rules;
