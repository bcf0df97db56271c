//! Code generation for `#[traced]`. The output names only `::tracing`, so an
//! instrumented function works under any subscriber.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::args::{Args, Format};

const PRIMITIVES: [&str; 17] = [
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "f32", "f64", "bool",
    "char", "str",
];

/// How an argument becomes a field: typed where the type is plain, `Debug` otherwise.
fn field_value(ident: &Ident, ty: &Type) -> TokenStream {
    let last_ident = |ty: &Type| match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    };
    match ty {
        Type::Reference(r) if last_ident(&r.elem).as_deref() == Some("str") => quote!(#ident),
        _ => match last_ident(ty).as_deref() {
            Some("char") => quote!(::tracing::field::display(&#ident)),
            Some(p) if PRIMITIVES.contains(&p) => quote!(#ident),
            Some("String") => quote!(#ident.as_str()),
            _ => quote!(::tracing::field::debug(&#ident)),
        },
    }
}

fn recorded_args(item: &ItemFn, args: &Args) -> syn::Result<Vec<TokenStream>> {
    let mut all = Vec::new();
    for input in &item.sig.inputs {
        if let FnArg::Typed(pt) = input {
            if let Pat::Ident(pi) = &*pt.pat {
                all.push((pi.ident.clone(), (*pt.ty).clone()));
            }
        }
    }
    for skip in &args.skips {
        if !all.iter().any(|(ident, _)| ident == skip) {
            return Err(syn::Error::new_spanned(skip, format!("`{skip}` is not an argument of this function")));
        }
    }
    if args.skip_all {
        return Ok(Vec::new());
    }
    Ok(all
        .iter()
        .filter(|(ident, _)| !args.skips.contains(ident))
        .map(|(ident, ty)| {
            let value = field_value(ident, ty);
            quote!(#ident = #value)
        })
        .collect())
}

fn format_value(format: Format, value: &Ident) -> TokenStream {
    match format {
        Format::Display => quote!(::tracing::field::display(#value)),
        Format::Debug => quote!(::tracing::field::debug(#value)),
    }
}

pub(crate) fn expand(args: Args, item: ItemFn) -> syn::Result<TokenStream> {
    if let (Some((span, _)), ReturnType::Default) = (&args.err, &item.sig.output) {
        return Err(syn::Error::new(*span, "`err` needs a function that returns a `Result`"));
    }
    let ItemFn { attrs, vis, sig, block } = &item;
    let fn_name = sig.ident.to_string();
    let name = args.name.as_ref().map_or_else(|| quote!(#fn_name), |n| quote!(#n));
    let level = args.level.as_ref().map_or_else(|| quote!(::tracing::Level::INFO), |(_, l)| l.clone());
    let target = args.target.as_ref().map(|t| quote!(target: #t,));
    let mut fields = recorded_args(&item, &args)?;
    fields.push(quote!(code.function = #fn_name));
    if let Some(kind) = &args.kind {
        let kind = kind.value().to_ascii_lowercase();
        fields.push(quote!(otel.kind = #kind));
    }
    if args.err.is_some() {
        fields.push(quote!(otel.status_code = ::tracing::field::Empty));
        fields.push(quote!(otel.status_message = ::tracing::field::Empty));
    }
    if let Some(user) = &args.fields {
        fields.push(user.clone());
    }
    let make = quote!(::tracing::span!(#target #level, #name, #(#fields),*));
    let make = match &args.parent {
        Some(parent) => quote!((#parent).child_span(|| #make)),
        None => make,
    };

    let result = format_ident!("__lantern_result");
    let err_block = args.err.map(|(_, format)| {
        let e = format_ident!("__lantern_error");
        let message = format_value(format, &e);
        let event_target = args.target.as_ref().map(|t| quote!(target: #t,));
        let exception = match format {
            Format::Display => quote!(exception.message = %#e),
            Format::Debug => quote!(exception.message = ?#e),
        };
        quote! {
            if let ::core::result::Result::Err(#e) = &#result {
                let __lantern_current = ::tracing::Span::current();
                __lantern_current.record("otel.status_code", "ERROR");
                __lantern_current.record("otel.status_message", #message);
                ::tracing::event!(#event_target ::tracing::Level::ERROR, #exception, "exception");
            }
        }
    });
    let ret_block = args.ret.map(|format| {
        let value = match format {
            Format::Display => quote!(return_value = %#result),
            Format::Debug => quote!(return_value = ?#result),
        };
        quote!(::tracing::event!(#target #level, #value);)
    });
    let annotation = match &sig.output {
        ReturnType::Type(_, ty) if !contains_impl_trait(ty) => quote!(: #ty),
        _ => quote!(),
    };
    let inspects = err_block.is_some() || ret_block.is_some();

    let body = if sig.asyncness.is_some() {
        if inspects {
            quote! {
                let __lantern_span = #make;
                ::tracing::Instrument::instrument(async move {
                    let #result #annotation = async move #block.await;
                    #err_block
                    #ret_block
                    #result
                }, __lantern_span).await
            }
        } else {
            quote! {
                let __lantern_span = #make;
                ::tracing::Instrument::instrument(async move #block, __lantern_span).await
            }
        }
    } else if inspects {
        let closure_ret = match &sig.output {
            ReturnType::Type(_, ty) if !contains_impl_trait(ty) => quote!(-> #ty),
            _ => quote!(),
        };
        quote! {
            let __lantern_span = #make;
            let __lantern_enter = __lantern_span.enter();
            #[allow(clippy::redundant_closure_call)]
            let #result = (move || #closure_ret #block)();
            #err_block
            #ret_block
            #result
        }
    } else {
        quote! {
            let __lantern_span = #make;
            let __lantern_enter = __lantern_span.enter();
            #block
        }
    };
    let span = sig.ident.span();
    Ok(quote_spanned! {span=>
        #(#attrs)*
        #vis #sig {
            #body
        }
    })
}

fn contains_impl_trait(ty: &Type) -> bool {
    quote!(#ty).into_iter().any(|t| matches!(t, proc_macro2::TokenTree::Ident(i) if i == "impl"))
}
