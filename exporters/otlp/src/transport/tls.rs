//! TLS to the collector: a custom CA to verify it with, and a client
//! certificate for mutual TLS ([`TlsConfig`], from code or from
//! `OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`,
//! `OTEL_EXPORTER_OTLP_CLIENT_KEY` and their per-signal forms).
//!
//! Everything is read and checked when the exporter is made
//! ([`load`]): a file that cannot be read, is larger than [`MAX_PEM_BYTES`],
//! holds no PEM certificate or key, a key without its certificate (or the
//! reverse) or a key that does not match its certificate is a start-up
//! error, never a failure found later on the exporter thread. The result,
//! [`ClientTls`], holds the PEM for tonic and a ready rustls configuration
//! (ring, as tonic's `tls-ring`) for the HTTP transport.
//!
//! A custom CA *replaces* the webpki roots (the collector's own CA is then
//! the only one trusted); without one, `https://` endpoints are verified
//! against the webpki roots as before. TLS settings only matter for
//! `https://` endpoints: an `http://` endpoint is plain text whatever is set.

use std::fmt;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::{self, PemObject as _};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The largest PEM file (or PEM given as bytes) accepted: 1 MiB, far more
/// than any certificate chain.
pub(crate) const MAX_PEM_BYTES: u64 = 1 << 20;

/// PEM data: a file, read when the exporter is made, or the bytes
/// themselves.
///
/// Its `Debug` shows a file's path but never the bytes (they may be a
/// private key).
///
/// ```
/// use lantern_otlp::PemSource;
/// let ca = PemSource::file("/etc/otel/ca.pem");
/// assert_eq!(format!("{ca:?}"), r#"File("/etc/otel/ca.pem")"#);
/// let key = PemSource::bytes(b"-----BEGIN PRIVATE KEY-----\n...".to_vec());
/// assert_eq!(format!("{key:?}"), "Bytes(<31 bytes>)", "never the key itself");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    /// A PEM file.
    File(PathBuf),
    /// PEM text.
    Bytes(Vec<u8>),
}

impl PemSource {
    /// A PEM file, read when the exporter is made.
    ///
    /// ```
    /// let ca = lantern_otlp::PemSource::file("ca.pem");
    /// assert_eq!(ca, lantern_otlp::PemSource::File("ca.pem".into()));
    /// ```
    pub fn file(path: impl Into<PathBuf>) -> PemSource {
        PemSource::File(path.into())
    }

    /// PEM text given in code.
    ///
    /// ```
    /// let ca = lantern_otlp::PemSource::bytes("-----BEGIN CERTIFICATE-----\n...");
    /// assert!(matches!(ca, lantern_otlp::PemSource::Bytes(_)));
    /// ```
    pub fn bytes(pem: impl Into<Vec<u8>>) -> PemSource {
        PemSource::Bytes(pem.into())
    }

    fn path(&self) -> Option<&Path> {
        match self {
            PemSource::File(path) => Some(path),
            PemSource::Bytes(_) => None,
        }
    }

    /// The PEM bytes, at most [`MAX_PEM_BYTES`] of them.
    fn read(&self) -> Result<Vec<u8>, TlsError> {
        match self {
            PemSource::Bytes(bytes) if bytes.len() as u64 > MAX_PEM_BYTES => Err(TlsError::TooLarge(None)),
            PemSource::Bytes(bytes) => Ok(bytes.clone()),
            PemSource::File(path) => {
                let read = |path: &Path| {
                    let mut data = Vec::new();
                    std::fs::File::open(path)?.take(MAX_PEM_BYTES + 1).read_to_end(&mut data)?;
                    Ok(data)
                };
                let data = read(path).map_err(|source| TlsError::Read { path: path.to_owned(), source })?;
                if data.len() as u64 > MAX_PEM_BYTES {
                    return Err(TlsError::TooLarge(Some(path.to_owned())));
                }
                Ok(data)
            }
        }
    }
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(path) => f.debug_tuple("File").field(path).finish(),
            PemSource::Bytes(bytes) => write!(f, "Bytes(<{} bytes>)", bytes.len()),
        }
    }
}

/// TLS settings for `https://` endpoints: a CA to verify the collector
/// with (instead of the webpki roots) and a client certificate and key
/// for mutual TLS. All unset (the default): the webpki roots, no client
/// certificate.
///
/// ```
/// use lantern_otlp::{OtlpConfig, PemSource, TlsConfig};
/// let config = OtlpConfig {
///     endpoint: Some("https://collector.internal:4317".into()),
///     tls: TlsConfig {
///         ca_certificate: Some(PemSource::file("/etc/otel/ca.pem")),
///         client_certificate: Some(PemSource::file("/etc/otel/client.pem")),
///         client_key: Some(PemSource::file("/etc/otel/client-key.pem")),
///     },
///     ..Default::default()
/// };
/// // The files are read, and checked, when the exporter is made.
/// let err = lantern_otlp::OtlpExporter::new(config).unwrap_err();
/// assert_eq!(err.variable(), "tls.ca_certificate");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM certificates of the CAs that sign the collector's certificate
    /// (`OTEL_EXPORTER_OTLP_CERTIFICATE`).
    pub ca_certificate: Option<PemSource>,
    /// The PEM client certificate chain, leaf first, for mutual TLS
    /// (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`).
    pub client_certificate: Option<PemSource>,
    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of the client
    /// certificate (`OTEL_EXPORTER_OTLP_CLIENT_KEY`).
    pub client_key: Option<PemSource>,
}

impl TlsConfig {
    /// These settings, each unset one taken from `shared`.
    pub(crate) fn or(&self, shared: &TlsConfig) -> TlsConfig {
        TlsConfig {
            ca_certificate: self.ca_certificate.clone().or_else(|| shared.ca_certificate.clone()),
            client_certificate: self.client_certificate.clone().or_else(|| shared.client_certificate.clone()),
            client_key: self.client_key.clone().or_else(|| shared.client_key.clone()),
        }
    }

    fn is_empty(&self) -> bool {
        self.ca_certificate.is_none() && self.client_certificate.is_none() && self.client_key.is_none()
    }
}

/// Which setting of a [`TlsConfig`] is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    CaCertificate,
    ClientCertificate,
    ClientKey,
}

/// What is wrong with a TLS setting.
#[derive(Debug)]
pub(crate) enum TlsError {
    /// The file cannot be read.
    Read { path: PathBuf, source: std::io::Error },
    /// Over [`MAX_PEM_BYTES`] (the file's path, if it is one).
    TooLarge(Option<PathBuf>),
    /// Malformed PEM.
    Pem { path: Option<PathBuf>, source: pem::Error },
    /// No `CERTIFICATE` section.
    NoCertificate(Option<PathBuf>),
    /// No private key section.
    NoKey(Option<PathBuf>),
    /// A client key without a client certificate, or the reverse.
    Unpaired,
    /// rustls refused it (a CA that is not a valid certificate, a key
    /// that does not match the certificate, an unsupported key).
    Rustls(rustls::Error),
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |path: &Option<PathBuf>| match path {
            Some(p) => format!("`{}`", p.display()),
            None => "the PEM given".to_owned(),
        };
        match self {
            TlsError::Read { path, source } => write!(f, "cannot read `{}`: {source}", path.display()),
            TlsError::TooLarge(path) => write!(f, "{} is larger than {MAX_PEM_BYTES} bytes", name(path)),
            TlsError::Pem { path, source } => write!(f, "{} is not valid PEM: {source}", name(path)),
            TlsError::NoCertificate(path) => write!(f, "{} holds no PEM certificate", name(path)),
            TlsError::NoKey(path) => write!(f, "{} holds no PEM private key", name(path)),
            TlsError::Unpaired => {
                f.write_str("a client certificate and a client key go together; only one of them is set")
            }
            TlsError::Rustls(e) => write!(f, "rejected by rustls: {e}"),
        }
    }
}

impl TlsError {
    /// The underlying error, if there is one.
    pub(crate) fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TlsError::Read { source, .. } => Some(source),
            TlsError::Pem { source, .. } => Some(source),
            TlsError::Rustls(e) => Some(e),
            TlsError::TooLarge(_) | TlsError::NoCertificate(_) | TlsError::NoKey(_) | TlsError::Unpaired => None,
        }
    }
}

/// Checked TLS material of one signal.
#[derive(Clone)]
pub(crate) struct ClientTls {
    /// The custom CA's PEM, if one is set (for tonic).
    pub(crate) ca_pem: Option<Vec<u8>>,
    /// The client certificate chain and key, PEM (for tonic).
    pub(crate) identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    /// The same as a rustls configuration, without ALPN (for hyper).
    pub(crate) rustls: Arc<rustls::ClientConfig>,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("custom_ca", &self.ca_pem.is_some())
            .field("client_certificate", &self.identity_pem.is_some())
            .finish()
    }
}

/// Reads and checks `config`: `None` when nothing is set (the webpki
/// roots, no client certificate), else the material for both transports.
pub(crate) fn load(config: &TlsConfig) -> Result<Option<ClientTls>, (Field, TlsError)> {
    if config.is_empty() {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| (Field::CaCertificate, TlsError::Rustls(e)))?;
    let mut roots = rustls::RootCertStore::empty();
    let ca_pem = match &config.ca_certificate {
        Some(source) => {
            let (pem, certs) = certificates(source).map_err(|e| (Field::CaCertificate, e))?;
            for cert in certs {
                roots.add(cert).map_err(|e| (Field::CaCertificate, TlsError::Rustls(e)))?;
            }
            Some(pem)
        }
        None => {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            None
        }
    };
    let builder = builder.with_root_certificates(roots);
    let (rustls, identity_pem) = match (&config.client_certificate, &config.client_key) {
        (None, None) => (builder.with_no_client_auth(), None),
        (Some(_), None) => return Err((Field::ClientCertificate, TlsError::Unpaired)),
        (None, Some(_)) => return Err((Field::ClientKey, TlsError::Unpaired)),
        (Some(cert), Some(key)) => {
            let (cert_pem, chain) = certificates(cert).map_err(|e| (Field::ClientCertificate, e))?;
            let key_pem = key.read().map_err(|e| (Field::ClientKey, e))?;
            let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
                let path = key.path().map(Path::to_owned);
                let e = match e {
                    pem::Error::NoItemsFound => TlsError::NoKey(path),
                    source => TlsError::Pem { path, source },
                };
                (Field::ClientKey, e)
            })?;
            let config =
                builder.with_client_auth_cert(chain, key_der).map_err(|e| (Field::ClientKey, TlsError::Rustls(e)))?;
            (config, Some((cert_pem, key_pem)))
        }
    };
    Ok(Some(ClientTls { ca_pem, identity_pem, rustls: Arc::new(rustls) }))
}

/// The PEM of `source` and the certificates in it (at least one).
fn certificates(source: &PemSource) -> Result<(Vec<u8>, Vec<CertificateDer<'static>>), TlsError> {
    let pem = source.read()?;
    let path = || source.path().map(Path::to_owned);
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| TlsError::Pem { path: path(), source })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate(path()));
    }
    Ok((pem, certs))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca() -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem().into_bytes()
    }

    fn leaf() -> (Vec<u8>, Vec<u8>) {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["client".to_owned()]).unwrap().self_signed(&key).unwrap();
        (cert.pem().into_bytes(), key.serialize_pem().into_bytes())
    }

    fn err(config: TlsConfig) -> (Field, String) {
        let (field, e) = load(&config).unwrap_err();
        (field, e.to_string())
    }

    #[test]
    fn nothing_set_is_the_default_roots() {
        assert!(load(&TlsConfig::default()).unwrap().is_none());
    }

    #[test]
    fn a_ca_and_a_matching_pair_load() {
        let (cert, key) = leaf();
        let tls = load(&TlsConfig {
            ca_certificate: Some(PemSource::bytes(ca())),
            client_certificate: Some(PemSource::bytes(cert)),
            client_key: Some(PemSource::bytes(key)),
        })
        .unwrap()
        .unwrap();
        assert!(tls.ca_pem.is_some() && tls.identity_pem.is_some());
        assert_eq!(format!("{tls:?}"), "ClientTls { custom_ca: true, client_certificate: true }");
        // A client certificate alone keeps the webpki roots.
        let (cert, key) = leaf();
        let tls = load(&TlsConfig {
            client_certificate: Some(PemSource::bytes(cert)),
            client_key: Some(PemSource::bytes(key)),
            ..Default::default()
        });
        assert!(tls.unwrap().unwrap().ca_pem.is_none());
    }

    #[test]
    fn bad_material_is_a_clear_error_for_its_field() {
        let missing = TlsConfig { ca_certificate: Some(PemSource::file("/nonexistent/ca.pem")), ..Default::default() };
        let (field, text) = err(missing);
        assert_eq!(field, Field::CaCertificate);
        assert!(text.starts_with("cannot read `/nonexistent/ca.pem`"), "{text}");
        let garbage = TlsConfig { ca_certificate: Some(PemSource::bytes("not pem")), ..Default::default() };
        assert_eq!(err(garbage), (Field::CaCertificate, "the PEM given holds no PEM certificate".into()));
        let huge = TlsConfig { ca_certificate: Some(PemSource::bytes(vec![b'a'; 2 << 20])), ..Default::default() };
        assert_eq!(err(huge), (Field::CaCertificate, "the PEM given is larger than 1048576 bytes".into()));
        let (cert, key) = leaf();
        let alone = TlsConfig { client_key: Some(PemSource::bytes(key.clone())), ..Default::default() };
        assert_eq!(err(alone).0, Field::ClientKey);
        let alone = TlsConfig { client_certificate: Some(PemSource::bytes(cert.clone())), ..Default::default() };
        assert_eq!(err(alone).0, Field::ClientCertificate);
        let no_key = TlsConfig {
            client_certificate: Some(PemSource::bytes(cert.clone())),
            client_key: Some(PemSource::bytes(cert.clone())),
            ..Default::default()
        };
        assert_eq!(err(no_key), (Field::ClientKey, "the PEM given holds no PEM private key".into()));
        let (_, other_key) = leaf();
        let mismatch = TlsConfig {
            client_certificate: Some(PemSource::bytes(cert)),
            client_key: Some(PemSource::bytes(other_key)),
            ..Default::default()
        };
        let (field, text) = err(mismatch);
        assert_eq!(field, Field::ClientKey);
        assert!(text.starts_with("rejected by rustls"), "{text}");
    }

    #[test]
    fn per_signal_settings_fall_back_field_by_field() {
        let shared = TlsConfig {
            ca_certificate: Some(PemSource::file("shared-ca")),
            client_key: Some(PemSource::file("shared-key")),
            ..Default::default()
        };
        let signal = TlsConfig { ca_certificate: Some(PemSource::file("traces-ca")), ..Default::default() };
        let merged = signal.or(&shared);
        assert_eq!(merged.ca_certificate, Some(PemSource::file("traces-ca")));
        assert_eq!(merged.client_key, Some(PemSource::file("shared-key")));
        assert_eq!(merged.client_certificate, None);
    }
}
