//! Shared helpers for the Lantern examples.
