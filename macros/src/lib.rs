//! `#[traced]`: instrument a function with a `tracing` span.
//!
//! Re-exported as `lantern::traced`. The generated code uses only `tracing`,
//! so an instrumented function works under any subscriber; under Lantern
//! its span becomes a span record like any other.
//!
//! ```
//! use lantern_macros::traced;
//!
//! #[traced(level = "debug", skip(password), fields(attempt = 1))]
//! fn login(user: &str, password: &str) -> bool {
//!     !user.is_empty() && !password.is_empty()
//! }
//!
//! #[traced(err, kind = "client")]
//! async fn fetch(id: u64) -> Result<String, std::io::Error> {
//!     Ok(format!("item {id}"))
//! }
//! # assert!(login("ann", "secret"));
//! ```
//!
//! # Arguments
//!
//! | argument | effect |
//! |---|---|
//! | `name = "..."` | the span name (default: the function's name) |
//! | `level = "info"` or `level = Level::INFO` | the span's level (default INFO) |
//! | `target = "..."` | the span's target (default: the module path) |
//! | `skip(a, b)`, `skip_all` | arguments not recorded (by default every named argument is: integers, floats, booleans and strings as typed values, anything else with `Debug`) |
//! | `fields(k = v, ...)` | extra fields, in `tracing::span!` syntax |
//! | `kind = "server"` | `otel.kind`: server, client, producer, consumer or internal |
//! | `err`, `err(Debug)` | on `Err(e)`: `otel.status_code = "ERROR"`, `otel.status_message` = the error's Display (or Debug) text, and an ERROR event `exception` with field `exception.message` |
//! | `ret`, `ret(Debug)` | an event with field `return_value` = the returned value |
//! | `parent = expr` | make the span with `expr.child_span(\|\| span)`, e.g. a `lantern::Context` extracted from a request |
//!
//! Every span also gets `code.function` = the function's name.
//!
//! Async functions are instrumented with `tracing::Instrument`, so the span
//! is entered on every poll and its children keep their parent across
//! `.await`.

mod args;
mod expand;

use proc_macro::TokenStream;

/// Instruments a function with a span; see the [crate docs](crate).
#[proc_macro_attribute]
pub fn traced(args: TokenStream, item: TokenStream) -> TokenStream {
    let args = syn::parse_macro_input!(args as args::Args);
    let item = syn::parse_macro_input!(item as syn::ItemFn);
    expand::expand(args, item).unwrap_or_else(syn::Error::into_compile_error).into()
}
