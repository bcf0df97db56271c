//! Parsing `#[traced(...)]` arguments. Every error points at the argument.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token, parenthesized};

/// How a value is formatted into a field.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Display,
    Debug,
}

pub(crate) struct Args {
    pub(crate) name: Option<LitStr>,
    pub(crate) level: Option<(Span, TokenStream)>,
    pub(crate) target: Option<LitStr>,
    pub(crate) skips: Vec<Ident>,
    pub(crate) skip_all: bool,
    pub(crate) fields: Option<TokenStream>,
    pub(crate) kind: Option<LitStr>,
    pub(crate) err: Option<(Span, Format)>,
    pub(crate) ret: Option<Format>,
    pub(crate) parent: Option<Expr>,
}

const KINDS: [&str; 5] = ["server", "client", "producer", "consumer", "internal"];
const LEVELS: [&str; 5] = ["trace", "debug", "info", "warn", "error"];

fn level_tokens(name: &str) -> TokenStream {
    let ident = Ident::new(&name.to_ascii_uppercase(), Span::call_site());
    quote::quote!(::tracing::Level::#ident)
}

fn format_arg(input: ParseStream<'_>, default: Format) -> syn::Result<Format> {
    if !input.peek(syn::token::Paren) {
        return Ok(default);
    }
    let content;
    parenthesized!(content in input);
    let ident: Ident = content.parse()?;
    match ident.to_string().as_str() {
        "Display" => Ok(Format::Display),
        "Debug" => Ok(Format::Debug),
        _ => Err(syn::Error::new_spanned(ident, "expected `Display` or `Debug`")),
    }
}

fn duplicate<T>(slot: &Option<T>, ident: &Ident) -> syn::Result<()> {
    match slot {
        Some(_) => Err(syn::Error::new_spanned(ident, format!("`{ident}` is given more than once"))),
        None => Ok(()),
    }
}

impl Parse for Args {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut args = Args {
            name: None,
            level: None,
            target: None,
            skips: Vec::new(),
            skip_all: false,
            fields: None,
            kind: None,
            err: None,
            ret: None,
            parent: None,
        };
        while !input.is_empty() {
            let ident: Ident = input.parse()?;
            match ident.to_string().as_str() {
                "name" => {
                    duplicate(&args.name, &ident)?;
                    input.parse::<Token![=]>()?;
                    args.name = Some(input.parse()?);
                }
                "target" => {
                    duplicate(&args.target, &ident)?;
                    input.parse::<Token![=]>()?;
                    args.target = Some(input.parse()?);
                }
                "level" => {
                    duplicate(&args.level, &ident)?;
                    input.parse::<Token![=]>()?;
                    args.level = Some(parse_level(input)?);
                }
                "kind" => {
                    duplicate(&args.kind, &ident)?;
                    input.parse::<Token![=]>()?;
                    let kind: LitStr = input.parse()?;
                    if !KINDS.contains(&kind.value().to_ascii_lowercase().as_str()) {
                        let msg = "expected one of \"server\", \"client\", \"producer\", \"consumer\", \"internal\"";
                        return Err(syn::Error::new_spanned(kind, msg));
                    }
                    args.kind = Some(kind);
                }
                "skip" => {
                    let content;
                    parenthesized!(content in input);
                    // `self` is accepted (it is never recorded anyway).
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated_with(&content, Ident::parse_any)?;
                    args.skips.extend(names.into_iter().filter(|n| n != "self"));
                }
                "skip_all" => args.skip_all = true,
                "fields" => {
                    duplicate(&args.fields, &ident)?;
                    let content;
                    parenthesized!(content in input);
                    args.fields = Some(content.parse()?);
                }
                "err" => {
                    duplicate(&args.err, &ident)?;
                    args.err = Some((ident.span(), format_arg(input, Format::Display)?));
                }
                "ret" => {
                    duplicate(&args.ret, &ident)?;
                    args.ret = Some(format_arg(input, Format::Debug)?);
                }
                "parent" => {
                    duplicate(&args.parent, &ident)?;
                    input.parse::<Token![=]>()?;
                    args.parent = Some(input.parse()?);
                }
                _ => {
                    let msg = "unknown argument: expected name, level, target, skip, skip_all, fields, kind, err, ret or parent";
                    return Err(syn::Error::new_spanned(ident, msg));
                }
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(args)
    }
}

fn parse_level(input: ParseStream<'_>) -> syn::Result<(Span, TokenStream)> {
    if input.peek(LitStr) {
        let lit: LitStr = input.parse()?;
        let value = lit.value().to_ascii_lowercase();
        if !LEVELS.contains(&value.as_str()) {
            return Err(syn::Error::new_spanned(
                lit,
                "expected one of \"trace\", \"debug\", \"info\", \"warn\", \"error\"",
            ));
        }
        return Ok((lit.span(), level_tokens(&value)));
    }
    // `Level::INFO`, `tracing::Level::WARN`, ...
    let path: syn::Path = input.parse()?;
    let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    if !LEVELS.contains(&last.to_ascii_lowercase().as_str()) || last != last.to_ascii_uppercase() {
        return Err(syn::Error::new_spanned(path, "expected a level such as \"info\" or `Level::INFO`"));
    }
    Ok((Span::call_site(), level_tokens(&last)))
}
