//! TLS for the test receivers: a throw-away PKI made with rcgen (a CA, a
//! server certificate for 127.0.0.1 and localhost, a client certificate),
//! and the HTTP receiver's TLS accept loop (tokio-rustls in front of the
//! axum router). The gRPC receiver uses tonic's own server TLS.

use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate and its key, PEM.
#[derive(Clone, Debug)]
pub struct CertifiedKey {
    /// The certificate.
    pub cert_pem: String,
    /// Its private key (PKCS#8).
    pub key_pem: String,
}

/// A CA that signs server and client certificates.
pub struct TestCa {
    /// The CA's own certificate, PEM (what a client or server trusts).
    pub cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl TestCa {
    /// A new CA named `name`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("a CA key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.self_signed(&key).expect("a self-signed CA");
        TestCa { cert_pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    pub fn server(&self) -> CertifiedKey {
        self.leaf(vec!["127.0.0.1".into(), "localhost".into()], ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate.
    pub fn client(&self) -> CertifiedKey {
        self.leaf(vec!["lantern-test-client".into()], ExtendedKeyUsagePurpose::ClientAuth)
    }

    fn leaf(&self, names: Vec<String>, usage: ExtendedKeyUsagePurpose) -> CertifiedKey {
        let key = KeyPair::generate().expect("a leaf key");
        let mut params = CertificateParams::new(names).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, "lantern test");
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![usage];
        let cert = params.signed_by(&key, &self.issuer).expect("a signed leaf");
        CertifiedKey { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

/// How a receiver serves TLS.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// Its certificate and key.
    pub identity: CertifiedKey,
    /// When set, a client certificate signed by this CA (PEM) is required.
    pub client_ca_pem: Option<String>,
}

impl ServerTls {
    /// The rustls configuration of the HTTP receiver.
    pub(super) fn rustls(&self) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("TLS versions");
        let builder = match &self.client_ca_pem {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                    roots.add(cert.expect("CA PEM")).expect("a CA certificate");
                }
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()
                    .expect("a client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let chain = CertificateDer::pem_slice_iter(self.identity.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("server PEM");
        let key = PrivateKeyDer::from_pem_slice(self.identity.key_pem.as_bytes()).expect("server key PEM");
        Arc::new(builder.with_single_cert(chain, key).expect("server certificate"))
    }

    /// tonic's server TLS settings for the gRPC receiver.
    pub(super) fn tonic(&self) -> tonic::transport::ServerTlsConfig {
        let identity = tonic::transport::Identity::from_pem(&self.identity.cert_pem, &self.identity.key_pem);
        let config = tonic::transport::ServerTlsConfig::new().identity(identity);
        match &self.client_ca_pem {
            Some(ca) => config.client_ca_root(tonic::transport::Certificate::from_pem(ca)),
            None => config,
        }
    }
}

/// Serves `router` over TLS on `listener`: each connection's handshake
/// within 10 s, then HTTP/1.1. A failed handshake is counted in
/// `handshake_failures` and closes that connection only.
pub(super) async fn serve_https(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    config: Arc<rustls::ServerConfig>,
    handshake_failures: Arc<std::sync::atomic::AtomicUsize>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let (acceptor, router, failures) = (acceptor.clone(), router.clone(), handshake_failures.clone());
        tokio::spawn(async move {
            let stream = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                _ => {
                    failures.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return;
                }
            };
            let service = hyper_util::service::TowerToHyperService::new(router);
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}
