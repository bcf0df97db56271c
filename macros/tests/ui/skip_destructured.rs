#[lantern_macros::traced(skip(x))]
fn f((x, y): (u8, u8)) -> u8 {
    x + y
}
fn main() {}
