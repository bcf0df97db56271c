//! Code generation for `#[traced]`. The output names only `tracing` (as
//! `::tracing`, or the path given by `crate = path`) and `::core`, so an
//! instrumented function works under any subscriber.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{AttrStyle, FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

use crate::args::{Args, Format};

/// Types recorded as typed `tracing` values (integers, floats, booleans and
/// strings); references to them are too. Everything else is recorded with
/// `Debug`, except `char`, which is recorded with `Display`.
const VALUE_TYPES: [&str; 28] = [
    "bool",
    "str",
    "String",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "f32",
    "f64",
    "NonZeroU8",
    "NonZeroU16",
    "NonZeroU32",
    "NonZeroU64",
    "NonZeroUsize",
    "NonZeroI8",
    "NonZeroI16",
    "NonZeroI32",
    "NonZeroI64",
    "NonZeroIsize",
    "NonZeroU128",
];

enum Recording {
    Value,
    Display,
    Debug,
}

fn recording(ty: &Type) -> Recording {
    match ty {
        Type::Reference(r) => recording(&r.elem),
        Type::Paren(p) => recording(&p.elem),
        Type::Group(g) => recording(&g.elem),
        Type::Path(p) if p.qself.is_none() => match p.path.segments.last() {
            Some(s) if s.arguments.is_none() && s.ident == "char" => Recording::Display,
            Some(s) if s.arguments.is_none() && VALUE_TYPES.iter().any(|t| s.ident == t) => Recording::Value,
            _ => Recording::Debug,
        },
        _ => Recording::Debug,
    }
}

/// `name = value` for each argument that is recorded: named (not
/// destructured), not `self`, not skipped, not overridden by `fields(...)`.
fn argument_fields(item: &ItemFn, args: &Args, user_fields: &[String]) -> syn::Result<Vec<TokenStream>> {
    let tracing = args.tracing();
    let named: Vec<(&Ident, &Type)> = item
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Typed(pt) => match &*pt.pat {
                Pat::Ident(pi) => Some((&pi.ident, &*pt.ty)),
                _ => None,
            },
            FnArg::Receiver(_) => None,
        })
        .collect();
    for skip in &args.skips {
        if !named.iter().any(|(ident, _)| *ident == skip) {
            let msg = if destructures(item, skip) {
                format!("`{skip}` is bound by a destructuring pattern, which is never recorded: nothing to skip")
            } else {
                format!("`{skip}` is not an argument of this function, so there is nothing to skip")
            };
            return Err(syn::Error::new_spanned(skip, msg));
        }
    }
    if args.skip_all {
        return Ok(Vec::new());
    }
    Ok(named
        .into_iter()
        .filter(|(ident, _)| !args.skips.contains(ident) && !user_fields.contains(&ident.to_string()))
        .map(|(ident, ty)| match recording(ty) {
            Recording::Value => quote!(#ident = #ident),
            Recording::Display => quote!(#ident = #tracing::field::display(&#ident)),
            Recording::Debug => quote!(#ident = #tracing::field::debug(&#ident)),
        })
        .collect())
}

/// Whether a destructuring argument pattern mentions `ident`.
fn destructures(item: &ItemFn, ident: &Ident) -> bool {
    fn mentions(tokens: TokenStream, ident: &Ident) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Ident(i) => i == *ident,
            proc_macro2::TokenTree::Group(g) => mentions(g.stream(), ident),
            _ => false,
        })
    }
    item.sig.inputs.iter().any(|input| match input {
        FnArg::Typed(pt) => !matches!(&*pt.pat, Pat::Ident(_)) && mentions(pt.pat.to_token_stream(), ident),
        FnArg::Receiver(_) => false,
    })
}

/// The expression creating the span (through `parent.child_span` if given).
fn span_expr(args: &Args, item: &ItemFn) -> syn::Result<TokenStream> {
    let tracing = args.tracing();
    let fn_name = item.sig.ident.to_string();
    let user_fields: Vec<String> = args.fields.iter().filter_map(|f| f.name.clone()).collect();
    let declared = |name: &str| user_fields.iter().any(|f| f == name);

    let mut fields = argument_fields(item, args, &user_fields)?;
    if !declared("code.function") {
        fields.push(quote!(code.function = #fn_name));
    }
    if let Some(kind) = args.kind.as_deref().filter(|_| !declared("otel.kind")) {
        fields.push(quote!(otel.kind = #kind));
    }
    if args.err.is_some() {
        for name in ["otel.status_code", "otel.status_message"] {
            if !declared(name) {
                let key: TokenStream = name.parse().expect("a dotted field name");
                fields.push(quote!(#key = #tracing::field::Empty));
            }
        }
    }
    fields.extend(args.fields.iter().map(|f| f.tokens.clone()));

    let name = args.name.as_ref().map_or_else(|| fn_name.to_token_stream(), ToTokens::to_token_stream);
    let level = args.level();
    let target = args.target.as_ref().map(|t| quote!(target: #t,));
    let span = quote!(#tracing::span!(#target #level, #name, #(#fields),*));
    Ok(match &args.parent {
        Some(parent) => quote!((#parent).child_span(|| #span)),
        None => span,
    })
}

/// The return type with every `impl Trait` replaced by `_`, usable in a
/// `let` inside the body.
fn erase_impl_trait(ty: &Type) -> Type {
    let mut ty = ty.clone();
    erase(&mut ty);
    ty
}

fn erase(ty: &mut Type) {
    match ty {
        Type::ImplTrait(_) => *ty = Type::Infer(syn::TypeInfer { underscore_token: Default::default() }),
        Type::Reference(r) => erase(&mut r.elem),
        Type::Paren(p) => erase(&mut p.elem),
        Type::Group(g) => erase(&mut g.elem),
        Type::Array(a) => erase(&mut a.elem),
        Type::Slice(s) => erase(&mut s.elem),
        Type::Ptr(p) => erase(&mut p.elem),
        Type::Tuple(t) => t.elems.iter_mut().for_each(erase),
        Type::Path(p) => {
            for segment in &mut p.path.segments {
                match &mut segment.arguments {
                    PathArguments::AngleBracketed(a) => {
                        for arg in &mut a.args {
                            match arg {
                                GenericArgument::Type(t) => erase(t),
                                GenericArgument::AssocType(a) => erase(&mut a.ty),
                                _ => {}
                            }
                        }
                    }
                    PathArguments::Parenthesized(p) => {
                        p.inputs.iter_mut().for_each(erase);
                        if let ReturnType::Type(_, t) = &mut p.output {
                            erase(t);
                        }
                    }
                    PathArguments::None => {}
                }
            }
        }
        _ => {}
    }
}

/// An unreachable `return` of the declared type, put first in a closure or
/// async block holding the body: it fixes the block's return type before the
/// body is type-checked, so `?` and `.into()` infer as in the original fn.
fn return_type_anchor(output: &ReturnType) -> TokenStream {
    let (ty, span) = match output {
        // `let x: ! = ..` is unstable; a diverging body needs no anchor.
        ReturnType::Type(_, ty) if matches!(**ty, Type::Never(_)) => return TokenStream::new(),
        ReturnType::Type(_, ty) => (erase_impl_trait(ty).into_token_stream(), ty.span()),
        ReturnType::Default => (quote!(()), output.span()),
    };
    quote_spanned! {span=>
        #[allow(
            unknown_lints,
            unreachable_code,
            clippy::diverging_sub_expression,
            clippy::empty_loop,
            clippy::let_unit_value,
            clippy::needless_return,
        )]
        if false {
            let __lantern_never: #ty = loop {};
            return __lantern_never;
        }
    }
}

fn returns_unit(output: &ReturnType) -> bool {
    match output {
        ReturnType::Default => true,
        ReturnType::Type(_, ty) => matches!(&**ty, Type::Tuple(t) if t.elems.is_empty()),
    }
}

pub(crate) fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    if let Some(err) = &args.err {
        if returns_unit(&item.sig.output) {
            let msg = "`err` needs a function that returns a `Result`; this one returns `()`";
            return Err(syn::Error::new(err.span, msg));
        }
    }
    let make_span = span_expr(&args, &item)?;
    let ItemFn { attrs, vis, sig, block } = &item;
    let outer = attrs.iter().filter(|a| a.style == AttrStyle::Outer);
    let inner = attrs.iter().filter(|a| matches!(a.style, AttrStyle::Inner(_)));
    let stmts = &block.stmts;
    let anchor = return_type_anchor(&sig.output);
    let tracing = args.tracing();
    let level = args.level();
    let target = args.target.as_ref().map(|t| quote!(target: #t,));

    // `__lantern_record` is the span again (a clone, for async fns, whose
    // span is moved into `Instrument`): status fields are recorded on it,
    // never on `Span::current()`, which is another span when this one is
    // disabled.
    let on_err = args.err.as_ref().map(|err| {
        let (status, exception) = match err.format {
            Format::Display => {
                (quote!(#tracing::field::display(__lantern_error)), quote!(exception.message = %__lantern_error))
            }
            Format::Debug => {
                (quote!(#tracing::field::debug(__lantern_error)), quote!(exception.message = ?__lantern_error))
            }
        };
        quote! {
            __lantern_record.record("otel.status_code", "ERROR");
            __lantern_record.record("otel.status_message", #status);
            #tracing::event!(#target #tracing::Level::ERROR, #exception, "exception");
        }
    });
    let ret_event = |value: TokenStream| {
        let field = match args.ret {
            Some(Format::Display) => quote!(return = %#value),
            _ => quote!(return = ?#value),
        };
        quote!(#tracing::event!(#target #level, #field);)
    };
    let inspect = match (&on_err, args.ret.is_some()) {
        (Some(on_err), true) => {
            let ret = ret_event(quote!(__lantern_value));
            Some(quote! {
                match &__lantern_result {
                    ::core::result::Result::Ok(__lantern_value) => { #ret }
                    ::core::result::Result::Err(__lantern_error) => { #on_err }
                }
            })
        }
        (Some(on_err), false) => Some(quote! {
            if let ::core::result::Result::Err(__lantern_error) = &__lantern_result { #on_err }
        }),
        (None, true) => Some(ret_event(quote!(__lantern_result))),
        (None, false) => None,
    };

    let body = match (sig.asyncness.is_some(), inspect) {
        (true, None) => quote! {
            let __lantern_span = #make_span;
            #tracing::Instrument::instrument(async move { #anchor #(#stmts)* }, __lantern_span).await
        },
        (true, Some(inspect)) => {
            let record = args.err.as_ref().map(|_| quote!(let __lantern_record = __lantern_span.clone();));
            quote! {
                let __lantern_span = #make_span;
                #record
                #tracing::Instrument::instrument(
                    async move {
                        #[allow(unknown_lints, clippy::diverging_sub_expression)]
                        let __lantern_result = async move { #anchor #(#stmts)* }.await;
                        #inspect
                        __lantern_result
                    },
                    __lantern_span,
                )
                .await
            }
        }
        (false, None) => quote! {
            let __lantern_span = #make_span;
            let __lantern_entered = __lantern_span.enter();
            #(#stmts)*
        },
        // The body runs in a closure so that its `return`s and `?`s come back
        // here. Called through a `FnOnce` bound, the closure may return
        // borrows of what it captured (`&mut self` → `&mut self.field`),
        // which an immediately called `(move || ..)()` (an `FnMut`) may not.
        (false, Some(inspect)) => {
            let record_ref = args.err.as_ref().map(|_| quote!(let __lantern_record = &__lantern_span;));
            quote! {
                let __lantern_span = #make_span;
                let __lantern_entered = __lantern_span.enter();
                #record_ref
                #[inline(always)]
                fn __lantern_call_once<R>(body: impl ::core::ops::FnOnce() -> R) -> R {
                    body()
                }
                #[allow(unknown_lints, clippy::diverging_sub_expression)]
                let __lantern_result = __lantern_call_once(move || { #anchor #(#stmts)* });
                #inspect
                __lantern_result
            }
        }
    };
    Ok(quote! {
        #(#outer)*
        #vis #sig {
            #(#inner)*
            #body
        }
    })
}
