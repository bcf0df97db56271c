//! `#[traced]` at compile time: bad arguments are errors that point at the
//! argument; every supported function shape compiles.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    t.pass("tests/pass/*.rs");
}
