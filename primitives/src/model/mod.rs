//! The model catalogue's vocabulary, one concern per module: tensor schemas ([`schema`]), the
//! content id and chunk layout of model bytes ([`content`]), the registry's storage records
//! ([`record`]), the traits through which other pallets read the catalogue ([`catalog`]), and
//! those between the registry and the ZK key ceremony ([`ceremony`]).
//! Everything is re-exported here, so `opg_primitives::model::X` names any of them.

pub mod catalog;
pub mod ceremony;
pub mod content;
pub mod record;
pub mod schema;

pub use catalog::*;
pub use ceremony::*;
pub use content::*;
pub use record::*;
pub use schema::*;
