//! Expansion: declared Tenants, TenantAdmins and ServiceBindings → portal resources.
//!
//! What each portal's objects look like on the wire lives in one module per portal (`daas`,
//! `contactcenter`, `teammate`, `apps`, `cloudlink`), like `validate/binding/`; `tenant` and
//! `binding` only dispatch a declared object to the portals it concerns, and `declared` runs
//! the whole expansion.

mod apps;
mod binding;
mod cloudlink;
mod contactcenter;
mod daas;
mod declared;
mod origin;
mod teammate;
mod tenant;
mod wire;

pub use apps::{CAMPAIGN_NAMESPACE, campaign_ref};
pub use declared::expand;
