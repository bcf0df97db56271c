//! What every page handler reads: the router's state.

use std::sync::Arc;
use std::time::Instant;

use super::connections::Counters;
use crate::handle::Handle;

/// What the pages read.
#[derive(Clone)]
pub(crate) struct Sources {
    pub(crate) handle: Handle,
    /// When the server started: the overview's uptime.
    pub(crate) started: Instant,
    /// The server's connection counters, for the overview.
    pub(crate) connections: Arc<Counters>,
}
