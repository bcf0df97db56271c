//! Shared set-up for the Lantern benches.
