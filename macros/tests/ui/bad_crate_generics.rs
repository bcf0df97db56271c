#[lantern_macros::traced(crate = some::<u8>::path)]
fn f() {}
fn main() {}
