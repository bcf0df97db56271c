//! The OpenTelemetry environment variables the runtime honours.
//!
//! [`crate::Builder::default`] starts from them, and explicit setters win:
//! - `OTEL_SERVICE_NAME`: the service name (over `service.name` in
//!   `OTEL_RESOURCE_ATTRIBUTES`).
//! - `OTEL_RESOURCE_ATTRIBUTES`: `key=value,key=value`, values
//!   percent-decoded. A malformed list is ignored as a whole, with a
//!   warning, as the specification asks.
//! - `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`: `always_on`,
//!   `always_off`, `traceidratio`, `parentbased_always_on`,
//!   `parentbased_always_off`, `parentbased_traceidratio`. An unknown sampler
//!   or a bad ratio gives a warning and the default.
//! - With the `remote-sampling` feature, `OTEL_TRACES_SAMPLER=jaeger_remote`
//!   or `parentbased_jaeger_remote`, with `OTEL_TRACES_SAMPLER_ARG` a list
//!   `endpoint=...,pollingIntervalMs=...,initialSamplingRate=...`, each
//!   optional: a [`RemoteSampler`](crate::sampling::RemoteSampler) asking
//!   for the service named above (else the executable's name). The
//!   OpenTelemetry specification's default endpoint is Jaeger's gRPC
//!   `localhost:14250`; Lantern speaks HTTP, so its default is the Jaeger
//!   agent's HTTP sampling endpoint, `http://localhost:5778/sampling` (the
//!   collector's is `http://<collector>:14268/api/sampling`). The interval
//!   defaults to 60000 ms, the initial rate (a `TraceIdRatio` until the
//!   first strategy arrives) to 0.001. A bad value or an unknown key gives a
//!   warning and the default.
//!
//! - `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else
//!   `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`), `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`
//!   (else `OTEL_ATTRIBUTE_COUNT_LIMIT`), `OTEL_SPAN_EVENT_COUNT_LIMIT`,
//!   `OTEL_SPAN_LINK_COUNT_LIMIT`: the record limits of the
//!   [`BufferConfig`]. A value that is not a whole number gives a warning
//!   and the default.
//!
//! - `OTEL_PROPAGATORS`: the propagation formats, comma-separated
//!   (`tracecontext`, `baggage`, `b3`, `b3multi`, `jaeger`, or `none`),
//!   default `tracecontext,baggage`. Unknown names are ignored, with one
//!   warning per process.
//!
//! Exporter variables (`OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`,
//! `OTEL_SDK_DISABLED`) belong to the exporter crates.

use std::sync::Arc;

use crate::buffer::BufferConfig;
use crate::propagation::Propagators;
use crate::record::KeyValue;
#[cfg(feature = "remote-sampling")]
use crate::sampling::RemoteSampler;
use crate::sampling::{AlwaysOff, AlwaysOn, ParentBased, Sampler, TraceIdRatio};

/// The propagators `OTEL_PROPAGATORS` names, if it is set (and not
/// empty); unknown names are ignored, and warned about once per process.
pub(crate) fn propagators() -> Option<Propagators> {
    let (propagators, unknown) = Propagators::parse(&var("OTEL_PROPAGATORS")?);
    static WARNED: std::sync::Once = std::sync::Once::new();
    if !unknown.is_empty() {
        WARNED.call_once(|| eprintln!("lantern: OTEL_PROPAGATORS: unknown {unknown:?} ignored"));
    }
    Some(propagators)
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The service name (`OTEL_SERVICE_NAME`, else `service.name` from
/// `OTEL_RESOURCE_ATTRIBUTES`) and the other resource attributes. A
/// malformed attribute list is ignored as a whole, with a warning.
pub(crate) fn resource() -> (Option<String>, Vec<KeyValue>) {
    let mut attributes = match var("OTEL_RESOURCE_ATTRIBUTES").map(|raw| parse_resource_attributes(&raw)) {
        None => Vec::new(),
        Some(Ok(list)) => list,
        Some(Err(reason)) => {
            eprintln!("lantern: OTEL_RESOURCE_ATTRIBUTES ignored: {reason}");
            Vec::new()
        }
    };
    let from_attributes = attributes.iter().find(|kv| kv.key == "service.name").map(|kv| kv.value.to_string());
    attributes.retain(|kv| kv.key != "service.name");
    (var("OTEL_SERVICE_NAME").or(from_attributes), attributes)
}

pub(crate) fn parse_resource_attributes(raw: &str) -> Result<Vec<KeyValue>, String> {
    let mut out = Vec::new();
    for member in raw.split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let Some((key, value)) = member.split_once('=') else {
            return Err(format!("`{member}` is not key=value"));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("`{member}` has an empty key"));
        }
        let value = percent_encoding::percent_decode_str(value.trim())
            .decode_utf8()
            .map_err(|_| format!("the value of `{key}` is not UTF-8 once decoded"))?;
        out.push(KeyValue::new(key.to_owned(), value.into_owned()));
    }
    Ok(out)
}

/// The buffer's defaults with the record limits the environment sets.
pub(crate) fn buffer_config() -> BufferConfig {
    let (config, warnings) = buffer_config_from(var);
    for warning in warnings {
        eprintln!("lantern: {warning}");
    }
    config
}

/// [`buffer_config`] over any variable lookup; also returns the warnings.
pub(crate) fn buffer_config_from(var: impl Fn(&str) -> Option<String>) -> (BufferConfig, Vec<String>) {
    let mut config = BufferConfig::default();
    let mut warnings = Vec::new();
    let mut limit = |names: &[&str], slot: &mut usize| {
        let Some((name, raw)) = names.iter().find_map(|n| var(n).map(|v| (*n, v))) else { return };
        match raw.parse::<usize>() {
            Ok(n) => *slot = n,
            Err(_) => warnings.push(format!("{name}={raw:?} is not a whole number; using {slot}")),
        }
    };
    limit(
        &["OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT"],
        &mut config.max_attribute_value_bytes,
    );
    limit(&["OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_ATTRIBUTE_COUNT_LIMIT"], &mut config.max_attributes);
    limit(&["OTEL_SPAN_EVENT_COUNT_LIMIT"], &mut config.max_events_per_span);
    limit(&["OTEL_SPAN_LINK_COUNT_LIMIT"], &mut config.max_links_per_span);
    (config, warnings)
}

/// The sampler `OTEL_TRACES_SAMPLER` names, if any. A remote sampler asks
/// for `service` (else the executable's name).
pub(crate) fn sampler(service: Option<&str>) -> Option<Arc<dyn Sampler>> {
    let name = var("OTEL_TRACES_SAMPLER")?;
    #[cfg(feature = "remote-sampling")]
    if let Some(parent_based) = jaeger_remote(&name) {
        return remote_sampler(service, parent_based, var("OTEL_TRACES_SAMPLER_ARG").as_deref());
    }
    #[cfg(not(feature = "remote-sampling"))]
    let _ = service;
    match parse_sampler(&name, var("OTEL_TRACES_SAMPLER_ARG").as_deref()) {
        Ok(s) => Some(s),
        Err(reason) => {
            eprintln!("lantern: OTEL_TRACES_SAMPLER={name:?}: {reason}; using parentbased_always_on");
            None
        }
    }
}

pub(crate) fn parse_sampler(name: &str, arg: Option<&str>) -> Result<Arc<dyn Sampler>, String> {
    let ratio = || -> Result<TraceIdRatio, String> {
        match arg {
            None => Ok(TraceIdRatio::new(1.0)),
            Some(a) => match a.parse::<f64>() {
                Ok(r) if (0.0..=1.0).contains(&r) => Ok(TraceIdRatio::new(r)),
                _ => Err(format!("OTEL_TRACES_SAMPLER_ARG={a:?} is not a ratio in 0..=1")),
            },
        }
    };
    Ok(match name.to_ascii_lowercase().as_str() {
        "always_on" => Arc::new(AlwaysOn),
        "always_off" => Arc::new(AlwaysOff),
        "traceidratio" => Arc::new(ratio()?),
        "parentbased_always_on" => Arc::new(ParentBased::new(AlwaysOn)),
        "parentbased_always_off" => Arc::new(ParentBased::new(AlwaysOff)),
        "parentbased_traceidratio" => Arc::new(ParentBased::new(ratio()?)),
        "jaeger_remote" | "parentbased_jaeger_remote" => {
            return Err(format!("`{name}` needs Lantern's `remote-sampling` feature"));
        }
        other => return Err(format!("`{other}` is not a sampler Lantern knows")),
    })
}

/// Whether `name` is a Jaeger remote sampler, and if so whether parent-based.
#[cfg(feature = "remote-sampling")]
fn jaeger_remote(name: &str) -> Option<bool> {
    match name.to_ascii_lowercase().as_str() {
        "jaeger_remote" => Some(false),
        "parentbased_jaeger_remote" => Some(true),
        _ => None,
    }
}

/// The remote sampler `OTEL_TRACES_SAMPLER_ARG` configures; warnings on stderr.
#[cfg(feature = "remote-sampling")]
fn remote_sampler(service: Option<&str>, parent_based: bool, arg: Option<&str>) -> Option<Arc<dyn Sampler>> {
    let (args, warnings) = parse_remote_arg(arg);
    for warning in warnings {
        eprintln!("lantern: OTEL_TRACES_SAMPLER_ARG: {warning}");
    }
    let service = service.map_or_else(crate::resource::Resource::default_service_name, str::to_owned);
    let initial = TraceIdRatio::new(args.initial_sampling_rate);
    match RemoteSampler::new(&args.endpoint, &service, args.polling_interval, initial) {
        Ok(remote) if parent_based => Some(Arc::new(ParentBased::new(remote))),
        Ok(remote) => Some(Arc::new(remote)),
        Err(e) => {
            eprintln!("lantern: OTEL_TRACES_SAMPLER_ARG: {e}; using parentbased_always_on");
            None
        }
    }
}

/// The remote sampler's settings, from `OTEL_TRACES_SAMPLER_ARG`.
#[cfg(feature = "remote-sampling")]
#[derive(Debug, PartialEq)]
pub(crate) struct RemoteArg {
    pub(crate) endpoint: String,
    pub(crate) polling_interval: std::time::Duration,
    pub(crate) initial_sampling_rate: f64,
}

#[cfg(feature = "remote-sampling")]
impl Default for RemoteArg {
    fn default() -> Self {
        RemoteArg {
            endpoint: "http://localhost:5778/sampling".into(),
            polling_interval: std::time::Duration::from_millis(60_000),
            initial_sampling_rate: 0.001,
        }
    }
}

/// `endpoint=...,pollingIntervalMs=...,initialSamplingRate=...` (keys in any
/// case, each optional); a bad value or an unknown key is a warning, and
/// the default stays.
#[cfg(feature = "remote-sampling")]
pub(crate) fn parse_remote_arg(arg: Option<&str>) -> (RemoteArg, Vec<String>) {
    let mut out = RemoteArg::default();
    let mut warnings = Vec::new();
    for member in arg.unwrap_or("").split(',').map(str::trim).filter(|m| !m.is_empty()) {
        let Some((key, value)) = member.split_once('=').map(|(k, v)| (k.trim(), v.trim())) else {
            warnings.push(format!("`{member}` is not key=value; ignored"));
            continue;
        };
        match key.to_ascii_lowercase().as_str() {
            "endpoint" => match crate::sampling::remote_fetch::Source::http(value, "") {
                Ok(_) => out.endpoint = value.to_owned(),
                Err(reason) => warnings.push(format!("{reason}; using {}", out.endpoint)),
            },
            "pollingintervalms" => match value.parse::<u64>() {
                Ok(ms) if ms > 0 => out.polling_interval = std::time::Duration::from_millis(ms),
                _ => warnings.push(format!(
                    "pollingIntervalMs={value:?} is not a positive whole number; using {}",
                    out.polling_interval.as_millis()
                )),
            },
            "initialsamplingrate" => match value.parse::<f64>() {
                Ok(rate) if (0.0..=1.0).contains(&rate) => out.initial_sampling_rate = rate,
                _ => warnings.push(format!(
                    "initialSamplingRate={value:?} is not a ratio in 0..=1; using {}",
                    out.initial_sampling_rate
                )),
            },
            _ => warnings.push(format!("`{key}` is not a jaeger_remote setting; ignored")),
        }
    }
    (out, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_attributes_are_percent_decoded_and_malformed_lists_refused() {
        let list = parse_resource_attributes("deployment.environment=prod, team=a%2Cb ,k=").unwrap();
        let pairs: Vec<(String, String)> = list.iter().map(|kv| (kv.key.to_string(), kv.value.to_string())).collect();
        assert_eq!(
            pairs,
            [("deployment.environment", "prod"), ("team", "a,b"), ("k", "")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .to_vec()
        );
        assert!(parse_resource_attributes("novalue").is_err());
        assert!(parse_resource_attributes("=x").is_err());
    }

    #[test]
    fn record_limits_come_from_the_environment_span_specific_first() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
        };
        let (config, warnings) = buffer_config_from(vars(&[
            ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "100"),
            ("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "50"),
            ("OTEL_ATTRIBUTE_COUNT_LIMIT", "7"),
            ("OTEL_SPAN_EVENT_COUNT_LIMIT", "9"),
            ("OTEL_SPAN_LINK_COUNT_LIMIT", "lots"),
        ]));
        assert_eq!(config.max_attribute_value_bytes, 50, "the span-specific variable wins");
        assert_eq!((config.max_attributes, config.max_events_per_span), (7, 9));
        assert_eq!(config.max_links_per_span, BufferConfig::default().max_links_per_span);
        assert_eq!(warnings, ["OTEL_SPAN_LINK_COUNT_LIMIT=\"lots\" is not a whole number; using 128"]);
        let (config, warnings) = buffer_config_from(vars(&[]));
        assert_eq!(config.max_attribute_value_bytes, 4096);
        assert!(warnings.is_empty());
    }

    #[test]
    fn samplers_parse_with_their_ratio() {
        let desc = |n: &str, a: Option<&str>| parse_sampler(n, a).map(|s| s.description());
        assert_eq!(desc("always_off", None).unwrap(), AlwaysOff.description());
        assert!(desc("parentbased_traceidratio", Some("0.25")).unwrap().contains("0.25"));
        assert!(desc("traceidratio", Some("2")).is_err());
        assert!(desc("jaeger_remote", None).is_err());
    }

    #[cfg(feature = "remote-sampling")]
    #[test]
    fn jaeger_remote_names_build_a_remote_sampler_for_the_service() {
        assert_eq!(jaeger_remote("jaeger_remote"), Some(false));
        assert_eq!(jaeger_remote("ParentBased_Jaeger_Remote"), Some(true));
        assert_eq!(jaeger_remote("traceidratio"), None);
        // Port 9 (discard): nothing answers; the initial ratio stays.
        let arg = "endpoint=127.0.0.1:9/sampling,pollingIntervalMs=3600000,initialSamplingRate=0.5";
        let sampler = remote_sampler(Some("my svc"), true, Some(arg)).unwrap();
        let description = sampler.description();
        let expected = "ParentBased{root=RemoteSampler{strategy=TraceIdRatio{0.5}, source=http://127.0.0.1:9/sampling?service=my%20svc";
        assert!(description.starts_with(expected), "{description}");
        let plain = remote_sampler(None, false, None).unwrap().description();
        assert!(
            plain.starts_with(
                "RemoteSampler{strategy=TraceIdRatio{0.001}, source=http://localhost:5778/sampling?service="
            )
        );
    }

    #[cfg(feature = "remote-sampling")]
    #[test]
    fn jaeger_remote_arguments_parse_and_bad_ones_keep_the_default() {
        use std::time::Duration;
        assert_eq!(parse_remote_arg(None), (RemoteArg::default(), vec![]));
        let (arg, warnings) = parse_remote_arg(Some(
            " endpoint=http://agent:14268/api/sampling , pollingIntervalMs=5000,initialSamplingRate=0.25,",
        ));
        assert_eq!(
            arg,
            RemoteArg {
                endpoint: "http://agent:14268/api/sampling".into(),
                polling_interval: Duration::from_secs(5),
                initial_sampling_rate: 0.25,
            }
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        let (arg, warnings) = parse_remote_arg(Some(
            "endpoint=https://agent:5778/sampling,pollingIntervalMs=-5,initialSamplingRate=2,colour=blue,oops",
        ));
        assert_eq!(arg, RemoteArg::default());
        assert_eq!(warnings.len(), 5, "{warnings:?}");
        assert!(warnings[0].contains("only http://") && warnings[0].ends_with("using http://localhost:5778/sampling"));
        assert_eq!(warnings[1], "pollingIntervalMs=\"-5\" is not a positive whole number; using 60000");
        assert_eq!(warnings[2], "initialSamplingRate=\"2\" is not a ratio in 0..=1; using 0.001");
        assert_eq!(warnings[3], "`colour` is not a jaeger_remote setting; ignored");
        assert_eq!(warnings[4], "`oops` is not key=value; ignored");
        let (arg, warnings) = parse_remote_arg(Some("pollingIntervalMs=0,initialSamplingRate=NaN"));
        assert_eq!((arg, warnings.len()), (RemoteArg::default(), 2));
    }
}
