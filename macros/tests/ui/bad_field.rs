#[lantern_macros::traced(fields(ok = 1, "needs a value"))]
fn f() {}
fn main() {}
