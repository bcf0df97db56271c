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
//!
//! - `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (else
//!   `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`), `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`
//!   (else `OTEL_ATTRIBUTE_COUNT_LIMIT`), `OTEL_SPAN_EVENT_COUNT_LIMIT`,
//!   `OTEL_SPAN_LINK_COUNT_LIMIT`: the record limits of the
//!   [`BufferConfig`]. A value that is not a whole number gives a warning
//!   and the default.
//!
//! Exporter variables (`OTEL_EXPORTER_OTLP_*`, `OTEL_BSP_*`,
//! `OTEL_SDK_DISABLED`) belong to the exporter crates.

use std::sync::Arc;

use crate::buffer::BufferConfig;
use crate::record::KeyValue;
use crate::sampling::{AlwaysOff, AlwaysOn, ParentBased, Sampler, TraceIdRatio};

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

/// The sampler `OTEL_TRACES_SAMPLER` names, if any.
pub(crate) fn sampler() -> Option<Arc<dyn Sampler>> {
    let name = var("OTEL_TRACES_SAMPLER")?;
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
        other => return Err(format!("`{other}` is not a sampler Lantern knows")),
    })
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
}
