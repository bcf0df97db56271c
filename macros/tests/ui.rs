//! Bad `#[traced]` arguments are compile errors that point at the argument.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
