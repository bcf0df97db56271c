#[lantern_macros::traced(colour = "red")]
fn f() {}
fn main() {}
