#[lantern_macros::traced(err(Json))]
fn f() -> Result<(), String> {
    Ok(())
}
fn main() {}
