//! `#[traced]`: give a function its own [`tracing`] span.
//!
//! This crate is re-exported as `lantern::traced`; it can be used on its own
//! with nothing but `tracing`. The code it generates names only `::tracing`
//! (the crate using the attribute must depend on `tracing`, or name a
//! re-exported `lantern` with [`crate = path`](#a-re-exported-lantern-crate)), so an
//! instrumented function works under any subscriber: under Lantern its span
//! becomes a span record like any other, under `tracing-subscriber`'s `fmt`
//! layer it is printed, and with no subscriber it costs next to nothing.
//!
//! [`tracing`]: https://docs.rs/tracing
//!
//! # A first example
//!
//! ```
//! use lantern_macros::traced;
//!
//! #[derive(Debug)]
//! struct Order {
//!     id: u64,
//! }
//!
//! // A span named `place_order` at INFO, with the fields
//! // `customer = "ann"` (a typed string), `order = Order { id: 7 }` (Debug)
//! // and `code.function = "place_order"`.
//! #[traced]
//! fn place_order(customer: &str, order: Order) -> u64 {
//!     tracing::info!("placing"); // an event inside the span
//!     order.id
//! }
//!
//! assert_eq!(place_order("ann", Order { id: 7 }), 7);
//! ```
//!
//! Every call creates a span, enters it for the duration of the call and
//! closes it when the call returns. Spans of traced functions called from
//! inside it, and events emitted inside it, are its children.
//!
//! # The span and its fields
//!
//! | field | when | value |
//! |---|---|---|
//! | one per argument, named like it | unless skipped | integers, floats, `bool`, `str`, `String` and `NonZero*` (or references to them) as typed values; `char` with `Display`; anything else with `Debug` |
//! | `code.function` | always | the function's name, e.g. `"place_order"` (OpenTelemetry's attribute for the function a span instruments) |
//! | `otel.kind` | `kind = "..."` | `"server"`, `"client"`, `"producer"`, `"consumer"` or `"internal"` |
//! | `otel.status_code` | `err`, when `Err` is returned | `"ERROR"` (the field is declared empty on the span and recorded) |
//! | `otel.status_message` | `err`, when `Err` is returned | the error's `Display` text (`Debug` with `err(Debug)`) |
//! | your own | `fields(...)` | what you give |
//!
//! `self` is never recorded, nor are destructured arguments (`(a, b): (u8,
//! u8)`) or the names they bind. Arguments are recorded with `Debug` by
//! default, so an argument whose type is not `Debug` (a closure, say) must be
//! skipped.
//!
//! # Arguments
//!
//! | argument | effect |
//! |---|---|
//! | `name = "..."` | the span's name; by default the function's name |
//! | `level = "info"` or `level = Level::INFO` | the span's level: trace, debug, info, warn or error, in any case, or a `tracing::Level` constant; by default INFO |
//! | `target = "..."` | the span's (and the `err`/`ret` events') target; by default the module path |
//! | `skip(a, b)` | arguments not recorded |
//! | `skip_all` | no argument is recorded |
//! | `fields(a = expr, b, c = %expr, d = ?expr, e = tracing::field::Empty)` | more fields, in the syntax of `tracing::span!`; a field named like an argument replaces it |
//! | `kind = "server"` | records `otel.kind` |
//! | `err`, `err(Debug)` | for functions returning `Result`: on `Err`, marks the span as failed and emits an exception event |
//! | `ret`, `ret(Display)` | emits an event with the returned value |
//! | `parent = expr` | creates the span as `expr.child_span(\|\| span)`, e.g. under a `lantern::Context` extracted from a request |
//! | `crate = path` or `crate = "path"` | the path of a re-exported `lantern` crate, through which the generated code reaches `tracing`; by default it names `::tracing` |
//!
//! Each argument may be given once, and `skip` and `skip_all` not together.
//!
//! ```
//! use lantern_macros::traced;
//!
//! #[traced(
//!     name = "db.query",
//!     level = "debug",
//!     target = "shop::db",
//!     skip(password),
//!     kind = "client",
//!     fields(db.system = "postgresql", rows = tracing::field::Empty),
//! )]
//! fn query(user: &str, password: &str, sql: &str) -> usize {
//!     let rows = 3;
//!     // A field declared `Empty` is filled in later.
//!     tracing::Span::current().record("rows", rows);
//!     rows
//! }
//! # assert_eq!(query("ann", "hunter2", "SELECT 1"), 3);
//! ```
//!
//! # Errors: `err`
//!
//! With `err`, a function returning `Result` whose call returns `Err(e)`
//! gets, on its span, `otel.status_code = "ERROR"` and
//! `otel.status_message` = `e`'s `Display` text; and inside the span an
//! ERROR event with the message `exception` and the field
//! `exception.message` = the same text. `err(Debug)` uses `e`'s `Debug`
//! text for both. `Ok` leaves the span as it was. `?` and `return` in the
//! body work as usual.
//!
//! ```
//! use lantern_macros::traced;
//!
//! #[traced(err)]
//! fn parse_port(text: &str) -> Result<u16, std::num::ParseIntError> {
//!     let port = text.trim().parse()?;
//!     Ok(port)
//! }
//! # assert!(parse_port("80").is_ok());
//! # assert!(parse_port("eighty").is_err());
//! ```
//!
//! # Return values: `ret`
//!
//! With `ret`, each call emits an event at the span's level, inside the
//! span, with the field `return` = the returned value's `Debug` text
//! (`ret(Display)`: its `Display` text). With `err` as well, the event is
//! emitted only for `Ok`, with the value inside it.
//!
//! ```
//! use lantern_macros::traced;
//!
//! #[traced(ret, err)]
//! fn halve(n: u32) -> Result<u32, String> {
//!     if n % 2 == 0 { Ok(n / 2) } else { Err(format!("{n} is odd")) }
//! }
//! # assert_eq!(halve(4), Ok(2));
//! ```
//!
//! # Async functions and methods
//!
//! An `async fn` is instrumented with [`tracing::Instrument`]: its span is
//! entered each time the future is polled and exited when it yields, so the
//! spans and events of its body, including those of traced functions it
//! awaits, keep it as their parent across `.await` points, on any runtime,
//! single- or multi-threaded. `err` and `ret` work the same way.
//!
//! [`tracing::Instrument`]: https://docs.rs/tracing/latest/tracing/trait.Instrument.html
//!
//! Methods (`self`, `&self`, `&mut self`, `self: Box<Self>`), generic
//! functions, `impl Trait` arguments and `async fn`s in trait
//! implementations are all supported.
//!
//! ```
//! use lantern_macros::traced;
//!
//! trait Store {
//!     async fn load(&self, key: &str) -> Option<String>;
//! }
//!
//! struct Memory(Vec<(String, String)>);
//!
//! impl Store for Memory {
//!     #[traced(skip(self))]
//!     async fn load(&self, key: &str) -> Option<String> {
//!         self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
//!     }
//! }
//!
//! impl Memory {
//!     #[traced(err)]
//!     fn get_mut(&mut self, key: &str) -> Result<&mut String, String> {
//!         let entry = self.0.iter_mut().find(|(k, _)| k == key);
//!         entry.map(|(_, v)| v).ok_or_else(|| format!("no {key}"))
//!     }
//! }
//! ```
//!
//! # Remote parents: `parent`
//!
//! `parent = expr` makes the span through `expr.child_span(|| span)`. The
//! expression is anything with a method
//! `child_span(&self, make: impl FnOnce() -> tracing::Span) -> tracing::Span`,
//! such as a `lantern::Context` extracted from incoming headers: the span
//! becomes a child of the remote caller's span. The expression may use the
//! function's arguments.
//!
//! ```
//! use lantern_macros::traced;
//!
//! /// A stand-in for `lantern::Context`: makes spans under a given span.
//! struct Under(tracing::Span);
//!
//! impl Under {
//!     fn child_span(&self, make: impl FnOnce() -> tracing::Span) -> tracing::Span {
//!         self.0.in_scope(make)
//!     }
//! }
//!
//! #[traced(parent = cx, skip(cx), kind = "server")]
//! fn handle(cx: &Under, path: &str) -> usize {
//!     path.len()
//! }
//! # assert_eq!(handle(&Under(tracing::Span::none()), "/users"), 6);
//! ```
//!
//! # A re-exported `lantern`: `crate`
//!
//! The generated code names `::tracing`, so by default the crate using the
//! attribute depends on `tracing`. A crate that wraps Lantern for others
//! re-exports `lantern`, and its users, who may not depend on `tracing`
//! themselves, name that re-export with `crate = path` (or `crate =
//! "path"`, as a string): every item the generated code uses from `tracing`
//! is then taken through `path` (from Lantern's hidden re-export of
//! `tracing`). The path is resolved where the function is, like any path
//! written in it.
//!
//! ```
//! /// A stand-in for a crate that wraps Lantern.
//! mod obs {
//!     pub use lantern;
//! }
//!
//! #[obs::lantern::traced(crate = obs::lantern, level = "debug", err)]
//! fn parse(text: &str) -> Result<u8, std::num::ParseIntError> {
//!     text.parse()
//! }
//! # assert_eq!(parse("7"), Ok(7));
//! ```
//!
//! # Mistakes are compile errors
//!
//! An unknown argument, a level or kind that does not exist, `skip` naming
//! something that is not an argument, `err` on a function returning
//! nothing, or an argument given twice is a compile error pointing at the
//! argument. The function is then kept as written, without a span, so that
//! the one error is all there is: calls to it still compile.
//!
//! ```compile_fail
//! #[lantern_macros::traced(level = "loud")]
//! fn shout() {}
//! ```
//!
//! ```compile_fail
//! #[lantern_macros::traced(skip(pasword))]
//! fn login(user: &str, password: &str) {}
//! ```

mod args;
mod expand;

use proc_macro::TokenStream;

/// Instruments a function with a `tracing` span; see the [crate
/// documentation](crate) for the arguments and the fields recorded.
///
/// ```
/// #[lantern_macros::traced(level = "debug", skip(password), fields(attempt = 1))]
/// fn login(user: &str, password: &str) -> bool {
///     !user.is_empty() && !password.is_empty()
/// }
/// # assert!(login("ann", "hunter2"));
/// ```
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let expanded = syn::parse::<args::Args>(args)
        .and_then(|args| Ok((args, syn::parse::<syn::ItemFn>(item.clone())?)))
        .and_then(|(args, function)| expand::expand(args, function));
    match expanded {
        Ok(tokens) => tokens.into(),
        // The item is kept as written: without it, every use of the function
        // would be one more error.
        Err(error) => {
            let mut tokens = TokenStream::from(error.into_compile_error());
            tokens.extend(item);
            tokens
        }
    }
}
