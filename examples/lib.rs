//! Shared code of the Lantern examples, and [`hotrod`], the ride-sharing
//! demo run by `cargo run --release --example hotrod`.

pub mod hotrod;
