//! The names most programs use, in one import.
//!
//! ```
//! use lantern::prelude::*;
//!
//! #[traced]
//! fn charge(amount: u64) -> u64 {
//!     amount
//! }
//!
//! let lantern = lantern::builder().try_init_local();
//! charge(3);
//! let cx: Context = lantern::context::current();
//! assert!(cx.span_context().is_none());
//! let _ids: Option<(TraceId, SpanId)> = None;
//! assert_eq!(lantern.handle().buffer().snapshot().traces(&Default::default())[0].root_name, "charge");
//! ```
//!
//! The propagation traits come along, unnamed, so that their methods
//! (`carrier.get_all(..)`, `carrier.set(..)`) can be called on any carrier;
//! to implement them, import them by name from [`crate::propagation`].

pub use crate::context::value::Context;
pub use crate::handle::Handle;
pub use crate::ids::{SpanId, TraceId};
pub use crate::propagation::{Extractor as _, Injector as _};
pub use lantern_macros::traced;
