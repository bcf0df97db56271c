//! What every page handler reads: the router's state.

use std::time::Instant;

use crate::handle::Handle;

/// What the pages read.
#[derive(Clone)]
pub(crate) struct Sources {
    pub(crate) handle: Handle,
    /// When the server started: the overview's uptime.
    pub(crate) started: Instant,
}
