#[lantern_macros::traced(err, ret, err(Debug))]
fn f() -> Result<(), String> {
    Ok(())
}
fn main() {}
