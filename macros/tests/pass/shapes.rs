//! Every function shape `#[traced]` supports, with every argument.

use lantern_macros::traced;

#[derive(Debug)]
struct Error;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("error")
    }
}

struct Parent;

impl Parent {
    fn child_span(&self, make: impl FnOnce() -> tracing::Span) -> tracing::Span {
        make()
    }
}

#[traced(
    name = "everything",
    level = "WARN",
    target = "shapes",
    skip(b),
    fields(x = 1, y = %a, z = ?a, w = tracing::field::Empty, "quoted name" = 2),
    kind = "internal",
    err(Debug),
    ret(Display),
    parent = Parent
)]
fn everything(a: u32, b: &[u8]) -> Result<u32, Error> {
    if b.is_empty() {
        return Err(Error);
    }
    Ok(a)
}

#[traced(err)]
fn impl_trait_return(ok: bool) -> Result<impl std::fmt::Display, Error> {
    if ok { Ok("fine") } else { Err(Error) }
}

#[traced(ret)]
fn unit() {}

#[traced]
fn raw_identifier(r#type: u8) -> u8 {
    r#type
}

#[traced]
unsafe fn unsafe_fn(p: *const u8) -> u8 {
    unsafe { *p }
}

#[traced]
fn inner_attribute() -> u8 {
    #![allow(unused_variables)]
    let unused = 1;
    2
}

#[traced]
pub(crate) fn mut_argument(mut n: u8) -> u8 {
    n += 1;
    n
}

#[derive(Debug)]
struct Counter(u8);

#[traced(ret)]
fn mutable_references(n: &mut u32, s: &mut String, text: &mut str) -> usize {
    *n += 1;
    s.push('!');
    text.make_ascii_uppercase();
    s.len() + text.len()
}

#[traced(ret)]
fn never_returns(code: i32) -> ! {
    std::process::exit(code)
}

impl Counter {
    #[traced(ret, err)]
    fn bump(&mut self) -> Result<&mut u8, Error> {
        self.0 += 1;
        Ok(&mut self.0)
    }

    #[traced(err)]
    async fn bump_async(&mut self) -> Result<&mut u8, Error> {
        self.0 += 1;
        Ok(&mut self.0)
    }

    #[traced(ret)]
    fn new() -> Self {
        Counter(0)
    }
}

trait Service {
    async fn call(&self, request: String) -> Result<String, Error>;
    fn name(&self) -> &str;
}

impl Service for Counter {
    #[traced(skip(self), err, kind = "server")]
    async fn call(&self, request: String) -> Result<String, Error> {
        Ok(request)
    }

    #[traced]
    fn name(&self) -> &str {
        "counter"
    }
}

fn main() {
    assert!(everything(1, &[]).is_err());
    assert_eq!(impl_trait_return(true).unwrap().to_string(), "fine");
    unit();
    assert_eq!(raw_identifier(3), 3);
    assert_eq!(unsafe { unsafe_fn(&7) }, 7);
    assert_eq!(inner_attribute(), 2);
    assert_eq!(mut_argument(1), 2);
    let (mut n, mut s, mut text) = (1, String::from("a"), String::from("b"));
    assert_eq!(mutable_references(&mut n, &mut s, &mut text), 3);
    assert_eq!((n, s.as_str(), text.as_str()), (2, "a!", "B"));
    if n == 0 {
        never_returns(1);
    }
    let mut counter = Counter::new();
    *counter.bump().unwrap() += 1;
    assert_eq!(counter.0, 2);
    assert_eq!(counter.name(), "counter");
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    assert_eq!(*rt.block_on(counter.bump_async()).unwrap(), 3);
    assert_eq!(rt.block_on(counter.call("hi".into())).unwrap(), "hi");
}
