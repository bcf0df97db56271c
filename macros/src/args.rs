//! Parsing `#[traced(...)]` arguments. Every error points at the offending
//! argument, never at the whole attribute.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token, braced, parenthesized};

/// How a value is formatted into a field: `%` or `?`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Display,
    Debug,
}

/// The `err` argument: where it was written (for errors) and its format.
pub(crate) struct ErrArg {
    pub(crate) span: Span,
    pub(crate) format: Format,
}

/// One entry of `fields(...)`, kept as tokens for `tracing::span!`.
pub(crate) struct FieldArg {
    /// The field's name as `tracing` will see it (`a.b`), when it is known at
    /// expansion time (it is not for `{ CONST } = value` keys).
    pub(crate) name: Option<String>,
    pub(crate) tokens: TokenStream,
}

#[derive(Default)]
pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    /// The `tracing::Level` constant: `TRACE` ... `ERROR`.
    pub(crate) level: Option<Ident>,
    pub(crate) target: Option<LitStr>,
    pub(crate) skips: Vec<Ident>,
    pub(crate) skip_all: bool,
    pub(crate) fields: Vec<FieldArg>,
    /// Lower-case OpenTelemetry span kind.
    pub(crate) kind: Option<String>,
    pub(crate) err: Option<ErrArg>,
    pub(crate) ret: Option<Format>,
    pub(crate) parent: Option<Expr>,
    /// `crate = path`: the path of the `lantern` crate, re-exported; the
    /// generated code then finds `tracing` at `path::__private::tracing`.
    pub(crate) krate: Option<syn::Path>,
}

impl Args {
    /// The path the generated code names `tracing` by: `::tracing` unless
    /// `crate = path` names a re-exported `lantern`, whose hidden
    /// `__private::tracing` is then used.
    pub(crate) fn tracing(&self) -> TokenStream {
        self.krate.as_ref().map_or_else(|| quote!(::tracing), |krate| quote!(#krate::__private::tracing))
    }

    /// The span's level, `INFO` by default, as a `tracing::Level` constant.
    pub(crate) fn level(&self) -> TokenStream {
        let tracing = self.tracing();
        let level = self.level.clone().unwrap_or_else(|| Ident::new("INFO", Span::call_site()));
        quote!(#tracing::Level::#level)
    }
}

const KINDS: [&str; 5] = ["server", "client", "producer", "consumer", "internal"];
const LEVELS: [&str; 5] = ["trace", "debug", "info", "warn", "error"];
const ARGUMENTS: [&str; 11] =
    ["name", "level", "target", "skip", "skip_all", "fields", "kind", "err", "ret", "parent", "crate"];

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args::default();
        let mut seen: Vec<Ident> = Vec::new();
        while !input.is_empty() {
            let ident = Ident::parse_any(input)?;
            let key = ident.to_string();
            if !ARGUMENTS.contains(&key.as_str()) {
                let msg = "unknown argument: expected one of `name`, `level`, `target`, `skip`, `skip_all`, \
                           `fields`, `kind`, `err`, `ret`, `parent`, `crate`";
                return Err(syn::Error::new_spanned(ident, msg));
            }
            if seen.iter().any(|s| *s == key) {
                return Err(syn::Error::new_spanned(&ident, format!("`{key}` is given more than once")));
            }
            let other = if key == "skip" { "skip_all" } else { "skip" };
            if key.starts_with("skip") && seen.iter().any(|s| *s == other) {
                let msg = "`skip` and `skip_all` cannot be combined: `skip_all` already skips every argument";
                return Err(syn::Error::new_spanned(&ident, msg));
            }
            seen.push(ident.clone());
            match key.as_str() {
                "name" => args.name = Some(parse_value(input)?),
                "target" => args.target = Some(parse_value(input)?),
                "level" => {
                    input.parse::<Token![=]>()?;
                    args.level = Some(parse_level(input)?);
                }
                "kind" => {
                    let kind: LitStr = parse_value(input)?;
                    let value = kind.value().to_ascii_lowercase();
                    if !KINDS.contains(&value.as_str()) {
                        let msg = "unknown span kind: expected one of \"server\", \"client\", \"producer\", \
                                   \"consumer\", \"internal\"";
                        return Err(syn::Error::new_spanned(kind, msg));
                    }
                    args.kind = Some(value);
                }
                "skip" => {
                    let content;
                    parenthesized!(content in input);
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
                    // `self` is accepted, although it is never recorded anyway.
                    args.skips.extend(names.into_iter().filter(|n| n != "self"));
                }
                "skip_all" => args.skip_all = true,
                "fields" => {
                    let content;
                    parenthesized!(content in input);
                    args.fields = Punctuated::<FieldArg, Token![,]>::parse_terminated(&content)?.into_iter().collect();
                }
                "err" => args.err = Some(ErrArg { span: ident.span(), format: parse_format(input, Format::Display)? }),
                "ret" => args.ret = Some(parse_format(input, Format::Debug)?),
                "parent" => {
                    input.parse::<Token![=]>()?;
                    args.parent = Some(input.parse()?);
                }
                "crate" => {
                    input.parse::<Token![=]>()?;
                    args.krate = Some(parse_path(input)?);
                }
                _ => unreachable!("checked against ARGUMENTS"),
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

/// `= <value>`.
fn parse_value<T: Parse>(input: ParseStream<'_>) -> syn::Result<T> {
    input.parse::<Token![=]>()?;
    input.parse()
}

/// `level = "info"` (any case) or `level = Level::INFO` (any path ending in
/// one of the five constants); gives the constant's name.
fn parse_level(input: ParseStream<'_>) -> syn::Result<Ident> {
    let (name, tokens) = if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        (lit.value().to_ascii_lowercase(), lit.into_token_stream())
    } else {
        let path: syn::Path = input.parse()?;
        let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        let name = if last == last.to_ascii_uppercase() { last.to_ascii_lowercase() } else { String::new() };
        (name, path.into_token_stream())
    };
    if !LEVELS.contains(&name.as_str()) {
        let msg = "unknown level: expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\" \
                   (any case) or `Level::TRACE` ... `Level::ERROR`";
        return Err(syn::Error::new_spanned(tokens, msg));
    }
    Ok(Ident::new(&name.to_ascii_uppercase(), Span::call_site()))
}

/// `crate = some::path` or `crate = "some::path"`: a path without generic
/// arguments.
fn parse_path(input: ParseStream<'_>) -> syn::Result<syn::Path> {
    let msg = "expected the path of the `lantern` crate: `crate = some::path` or `crate = \"some::path\"`";
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        return lit.parse_with(syn::Path::parse_mod_style).map_err(|_| syn::Error::new_spanned(lit, msg));
    }
    syn::Path::parse_mod_style(input).map_err(|e| syn::Error::new(e.span(), msg))
}

/// The optional `(Display)` / `(Debug)` after `err` and `ret`.
fn parse_format(input: ParseStream<'_>, default: Format) -> syn::Result<Format> {
    if !input.peek(syn::token::Paren) {
        return Ok(default);
    }
    let content;
    parenthesized!(content in input);
    let ident: Ident = content.parse()?;
    if !content.is_empty() {
        return Err(content.error("expected `Display` or `Debug` only"));
    }
    match ident.to_string().as_str() {
        "Display" => Ok(Format::Display),
        "Debug" => Ok(Format::Debug),
        _ => Err(syn::Error::new_spanned(ident, "expected `Display` or `Debug`")),
    }
}

/// `%` or `?` in front of a field value or a shorthand field.
fn parse_sigil(input: ParseStream<'_>) -> syn::Result<Option<TokenStream>> {
    if input.peek(Token![%]) {
        Ok(Some(input.parse::<Token![%]>()?.into_token_stream()))
    } else if input.peek(Token![?]) {
        Ok(Some(input.parse::<Token![?]>()?.into_token_stream()))
    } else {
        Ok(None)
    }
}

impl Parse for FieldArg {
    /// What `tracing::span!` accepts: `a.b = [%|?]expr`, `"a b" = expr`,
    /// `{ CONST } = expr`, and the shorthands `a.b`, `%a`, `?a`.
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let sigil = parse_sigil(input)?;
        let (name, key) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            (Some(lit.value()), lit.into_token_stream())
        } else if input.peek(syn::token::Brace) {
            let content;
            let brace = braced!(content in input);
            let inner: TokenStream = content.parse()?;
            let mut tokens = TokenStream::new();
            brace.surround(&mut tokens, |t| t.extend(inner));
            (None, tokens)
        } else {
            let parts = Punctuated::<Ident, Token![.]>::parse_separated_nonempty_with(input, Ident::parse_any)?;
            let name = parts.iter().map(ToString::to_string).collect::<Vec<_>>().join(".");
            (Some(name), parts.into_token_stream())
        };
        if input.peek(Token![=]) {
            let eq: Token![=] = input.parse()?;
            if let Some(sigil) = sigil {
                return Err(syn::Error::new_spanned(sigil, "`%` and `?` go before the value: `name = %value`"));
            }
            let value_sigil = parse_sigil(input)?;
            let value: Expr = input.parse()?;
            return Ok(FieldArg { name, tokens: quote!(#key #eq #value_sigil #value) });
        }
        if name.is_none() || key.to_string().starts_with('"') {
            return Err(syn::Error::new_spanned(key, "this field needs a value: `name = value`"));
        }
        Ok(FieldArg { name, tokens: quote!(#sigil #key) })
    }
}
