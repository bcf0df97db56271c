#[lantern_macros::traced(crate = "not a path")]
fn f() {}
fn main() {}
