#[lantern_macros::traced(kind = "sideways")]
fn f() {}
fn main() {}
