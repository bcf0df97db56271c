#[lantern_macros::traced(name = "a", name = "b")]
fn f() {}
fn main() {}
