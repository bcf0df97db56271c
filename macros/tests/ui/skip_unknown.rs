#[lantern_macros::traced(skip(nope))]
fn f(a: u32) -> u32 {
    a
}
fn main() {}
