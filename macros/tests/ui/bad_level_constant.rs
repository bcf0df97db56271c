#[lantern_macros::traced(level = tracing::Level::LOUD)]
fn f() {}
fn main() {}
