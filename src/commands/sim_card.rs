//! `mynawatch sim-card`: serve a virtual My Number Card to pcscd through vpcd, for tests and demos.
//! Connecting = inserting the card; SIGTERM/SIGINT or vpcd closing = removing it (exit 0).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context as _};
use chrono::NaiveDate;

use crate::card::sim::{Fault, SimSpec, VirtualCard, DEFAULT_ATR};
use crate::card::simcert::{self, CertSpec};
use crate::card::vpcd;

/// Serve a virtual My Number Card to pcscd through vsmartcard's vpcd (test and demo tool).
#[derive(Debug, clap::Args)]
pub struct SimCardArgs {
    /// vpcd address: port 35963 is the first virtual reader, 35964 the second.
    #[arg(long, default_value = "127.0.0.1:35963", value_name = "HOST:PORT")]
    pub vpcd: String,
    /// Certificate expiry day (Japan time); a realistic certificate is generated.
    #[arg(long, value_name = "YYYY-MM-DD", required_unless_present = "cert")]
    pub expires: Option<NaiveDate>,
    /// Certificate issue day (default: about five years before --expires).
    #[arg(long, value_name = "YYYY-MM-DD", requires = "expires")]
    pub issued: Option<NaiveDate>,
    /// Serve this certificate (DER or PEM) instead of generating one.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["expires", "issued", "serial"])]
    pub cert: Option<PathBuf>,
    /// Token label in EF 0006 (JPKIAPICCTOKEN = old Juki card).
    #[arg(long, default_value = crate::card::sim::MY_NUMBER_CARD_LABEL)]
    pub label: String,
    /// Makes a distinct card (different certificate serial and subject).
    #[arg(long, default_value_t = 1)]
    pub serial: u64,
    /// Retries left on the user-authentication PIN (0 = blocked).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub auth_tries: u8,
    /// Retries left on the signature PIN (0 = blocked).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub sign_tries: u8,
    /// Retries left on the 券面事項入力補助 PIN (0 = blocked).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub card_info_tries: u8,
    /// Inject a fault (repeatable): first-6f00, garbage-cert, truncated-cert, huge-length,
    /// wrong-label, no-applet, slow=MS.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// Pull the card (close the connection) after answering this many APDUs.
    #[arg(long, value_name = "N")]
    pub remove_after_apdus: Option<u64>,
}

pub fn run(args: SimCardArgs) -> anyhow::Result<ExitCode> {
    let (cert, ca) = match (&args.cert, args.expires) {
        (Some(path), _) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let der = simcert::load_cert_file(&bytes)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            (der, None)
        }
        (None, Some(expires)) => {
            let mut spec = CertSpec::expiring(expires, args.serial);
            if let Some(issued) = args.issued {
                spec.issued = issued;
            }
            let certs = simcert::generate(&spec)?;
            (certs.cert, Some(certs.ca))
        }
        (None, None) => bail!("give --expires DATE or --cert FILE"),
    };
    let mut spec = SimSpec::new(cert);
    spec.ca = ca;
    spec.label = args.label;
    spec.auth_tries = args.auth_tries;
    spec.sign_tries = args.sign_tries;
    spec.card_info_tries = args.card_info_tries;
    spec.faults = args.faults;
    spec.remove_after_apdus = args.remove_after_apdus;
    let mut card = VirtualCard::new(&spec);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let addr = args.vpcd;
    // A plain thread: its blocking socket read must not hold up the exit on a signal.
    std::thread::spawn(move || {
        let shown = addr.clone();
        let r = vpcd::serve(&addr, &mut card, &DEFAULT_ATR, || {
            eprintln!("inserted into {shown}");
        })
        .with_context(|| format!("vpcd at {addr}"));
        let _ = done_tx.send((r, card.apdu_count()));
    });
    rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => tracing::debug!("SIGTERM: card removed"),
            _ = int.recv() => tracing::debug!("SIGINT: card removed"),
            r = done_rx => match r {
                Ok((Ok(end), apdus)) => tracing::debug!(?end, apdus, "card removed"),
                Ok((Err(e), _)) => return Err(e),
                Err(_) => bail!("virtual card thread failed"),
            },
        }
        Ok(ExitCode::SUCCESS)
    })
}
