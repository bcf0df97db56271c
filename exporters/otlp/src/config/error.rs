//! [`ConfigError`]: what is wrong with a configuration, and where.

use std::fmt;

use crate::transport::TlsError;

/// A configuration that cannot work, and the variable or field at fault.
///
/// Opaque on purpose: [`variable`](ConfigError::variable) names the
/// environment variable (or, for a configuration built in code, the field)
/// at fault, the [`Display`](fmt::Display) text says what is wrong with it,
/// and [`source`](std::error::Error::source) gives the underlying error
/// (an invalid URI, header name or value, a percent-decoded header value
/// that is not UTF-8, the I/O error of a certificate file that cannot be
/// read, malformed PEM, rustls' refusal of a key) when there is one.
///
/// ```
/// use std::error::Error as _;
///
/// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "carrier-pigeon".into()))
///     .unwrap_err();
/// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_PROTOCOL");
/// assert_eq!(err.to_string(), "OTEL_EXPORTER_OTLP_PROTOCOL: `carrier-pigeon` is not grpc, http/protobuf or http/json");
/// assert!(err.source().is_none(), "an unknown protocol has no underlying error");
/// ```
#[derive(Debug)]
pub struct ConfigError {
    variable: String,
    kind: Kind,
}

/// What is wrong with the variable; the underlying error, when there is one.
#[derive(Debug)]
pub(super) enum Kind {
    /// A protocol other than `grpc`, `http/protobuf` or `http/json`.
    Protocol(String),
    /// A compression other than `gzip` or `none`.
    Compression(String),
    /// An `OTEL_*_EXPORTER` other than `otlp` or `none`.
    Exporter(String),
    /// An endpoint that does not parse as a URI.
    Uri { url: String, source: http::uri::InvalidUri },
    /// An endpoint that parses, but is not an absolute `http://` or `https://` URL.
    Scheme(String),
    /// A header list member without `=`.
    HeaderMember(String),
    /// A header value that is not UTF-8 once percent-decoded.
    HeaderEncoding { key: String, source: std::str::Utf8Error },
    /// A header key that is not a valid header name.
    HeaderName { key: String, source: http::header::InvalidHeaderName },
    /// A header value that is not a valid header value (never shown: it may be a secret).
    HeaderValue { key: String, source: http::header::InvalidHeaderValue },
    /// A CA, client certificate or client key that cannot be used.
    Tls(TlsError),
}

impl ConfigError {
    pub(super) fn new(variable: impl Into<String>, kind: Kind) -> ConfigError {
        ConfigError { variable: variable.into(), kind }
    }

    /// The environment variable at fault, such as
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; for a configuration built in
    /// code, the field at fault (`headers`, `Traces endpoint` and the
    /// like for the resolved endpoint of one signal, `tls.ca_certificate`
    /// or `traces.tls.client_key` and the like for TLS settings).
    ///
    /// ```
    /// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT").then(|| "ftp://x".into()))
    ///     .unwrap_err();
    /// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT");
    /// ```
    pub fn variable(&self) -> &str {
        &self.variable
    }
}

/// `<variable>: <what is wrong>`, complete on its own (the text of the
/// underlying error included, where it says more than the message).
/// Header values are never shown, as they may hold credentials.
///
/// ```
/// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_COMPRESSION").then(|| "zstd".into()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "OTEL_EXPORTER_OTLP_COMPRESSION: `zstd` is not gzip or none");
/// ```
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.variable)?;
        match &self.kind {
            Kind::Protocol(v) => write!(f, "`{v}` is not grpc, http/protobuf or http/json"),
            Kind::Compression(v) => write!(f, "`{v}` is not gzip or none"),
            Kind::Exporter(v) => write!(f, "`{v}` is not `otlp` or `none`"),
            Kind::Uri { url, .. } => write!(f, "`{url}` is not a URL"),
            Kind::Scheme(v) => write!(f, "`{v}` is not an http:// or https:// URL"),
            Kind::HeaderMember(member) => write!(f, "`{member}` is not key=value"),
            Kind::HeaderEncoding { key, .. } => {
                write!(f, "bad escape in the value of `{key}`: it is not UTF-8 once percent-decoded")
            }
            Kind::HeaderName { key, .. } => write!(f, "`{key}` is not a valid header name"),
            Kind::HeaderValue { key, .. } => write!(f, "the value of `{key}` is not a valid header value"),
            Kind::Tls(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ConfigError {
    /// The underlying error: the URI parser's for an endpoint that is not a
    /// URL, the header parser's for an invalid header name or value, the
    /// UTF-8 decoder's for a header value that is not UTF-8 once
    /// percent-decoded, the I/O error of a certificate or key file that
    /// cannot be read, the PEM parser's or rustls' for one that cannot be
    /// used; `None` for a value that is simply not one of those allowed.
    ///
    /// ```
    /// use std::error::Error as _;
    ///
    /// let err = lantern_otlp::OtlpConfig::from_lookup(|k| (k == "OTEL_EXPORTER_OTLP_ENDPOINT").then(|| "http://bad host".into()))
    ///     .unwrap_err();
    /// assert_eq!(err.variable(), "OTEL_EXPORTER_OTLP_ENDPOINT");
    /// assert!(err.source().is_some(), "the URI parser's error");
    /// ```
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Uri { source, .. } => Some(source),
            Kind::HeaderEncoding { source, .. } => Some(source),
            Kind::HeaderName { source, .. } => Some(source),
            Kind::HeaderValue { source, .. } => Some(source),
            Kind::Tls(e) => e.source(),
            Kind::Protocol(_) | Kind::Compression(_) | Kind::Exporter(_) | Kind::Scheme(_) | Kind::HeaderMember(_) => {
                None
            }
        }
    }
}
