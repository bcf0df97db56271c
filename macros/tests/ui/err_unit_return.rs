#[lantern_macros::traced(name = "x", err)]
async fn f() -> () {}
fn main() {}
