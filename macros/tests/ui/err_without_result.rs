#[lantern_macros::traced(err)]
fn f() {}
fn main() {}
