//! The RTMPS certificate: the operator's (`--tls-cert`/`--tls-key`, PEM), or a self-signed one that
//! openivs generates once into the data dir (`rtmps-cert.pem`, `rtmps-key.pem`) and reuses after.

use anyhow::{Context, Result, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;

/// Self-signed certificate file in a data dir.
pub fn generated_cert_path(data_dir: &Path) -> PathBuf {
    data_dir.join("rtmps-cert.pem")
}

/// Its key.
pub fn generated_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("rtmps-key.pem")
}

/// The TLS acceptor for RTMPS. `names` go into a generated certificate's subject alternative names.
pub fn acceptor(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
    names: &[String],
) -> Result<TlsAcceptor> {
    let (cert_path, key_path) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => {
            let (c, k) = (generated_cert_path(data_dir), generated_key_path(data_dir));
            if !c.exists() || !k.exists() {
                generate(&c, &k, names)?;
            }
            (c, k)
        }
        _ => bail!(
            "give both --tls-cert and --tls-key, or neither (a self-signed certificate is then generated)"
        ),
    };
    let certs = CertificateDer::pem_file_iter(&cert_path)
        .with_context(|| format!("reading {}", cert_path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing {}", cert_path.display()))?;
    if certs.is_empty() {
        bail!("no certificate in {}", cert_path.display());
    }
    let key =
        PrivateKeyDer::from_pem_file(&key_path).with_context(|| format!("reading {}", key_path.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the RTMPS certificate and key do not match")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn generate(cert_path: &Path, key_path: &Path, names: &[String]) -> Result<()> {
    let mut sans = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    sans.extend(names.iter().filter(|n| !n.is_empty()).cloned());
    sans.dedup();
    let generated = rcgen::generate_simple_self_signed(sans).context("generating the RTMPS certificate")?;
    crate::app::write_private(key_path, &generated.signing_key.serialize_pem())?;
    // Public, but the data dir holds only private files (issue 16).
    crate::app::write_private(cert_path, &generated.cert.pem())?;
    tracing::info!(cert = %cert_path.display(), "generated a self-signed RTMPS certificate");
    Ok(())
}
