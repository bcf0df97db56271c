#[lantern_macros::traced(skip_all, skip(a))]
fn f(a: u32) -> u32 {
    a
}
fn main() {}
