#[lantern_macros::traced(level = "loud")]
fn f() {}
fn main() {}
