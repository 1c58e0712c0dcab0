//! `lvyue serve`: the local web page and the JSON API (`lvyue::serve`, docs/api.md).

use std::net::SocketAddr;
use std::time::Duration;

use lvyue::host::{Host, RunError, exit};
use lvyue::serve::{self, Config};

#[derive(clap::Args)]
pub(crate) struct Args {
    /// Address to listen on. The default is this computer only; any other address lets other
    /// computers on the network use the server, with no login: a warning is printed.
    #[arg(long, value_name = "ADDR", default_value = serve::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The largest upload accepted (an evaluation's workbooks together), in MiB (1 to 4096).
    #[arg(long, value_name = "MIB", default_value_t = serve::DEFAULT_UPLOAD_MIB as u64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    max_upload_mib: u64,
    /// Evaluations run at once [default: the number of cores].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    max_evaluations: Option<u64>,
    /// Evaluations that may wait for a free slot; beyond them the answer is "busy" (503).
    #[arg(long, value_name = "N", default_value_t = serve::DEFAULT_QUEUE as u64, value_parser = clap::value_parser!(u64).range(0..=4096))]
    queue: u64,
    /// Seconds within which an evaluation (upload included) is answered, else 504 (1 to 86400).
    #[arg(long, value_name = "SECS", default_value_t = serve::DEFAULT_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=86400))]
    request_timeout: u64,
}

pub(crate) fn run(host: Host, a: &Args) -> Result<i32, RunError> {
    let config = Config {
        listen: a.listen,
        max_upload_bytes: (a.max_upload_mib as usize) << 20,
        max_evaluations: a.max_evaluations.map(|n| n as usize).unwrap_or_else(serve::default_evaluations),
        queue: a.queue as usize,
        request_timeout: Duration::from_secs(a.request_timeout),
    };
    if !a.listen.ip().is_loopback() {
        eprintln!(
            "warning: listening on {}: other computers that can reach this address can upload workbooks and read results, \
             with no login. Use the default ({}) unless that is what you want.",
            a.listen,
            serve::DEFAULT_LISTEN
        );
    }
    for e in host.refused() {
        eprintln!("warning: {e}");
    }
    for e in serve::warm_up(&host) {
        eprintln!("warning: {e}");
    }
    serve::run(host, config, |addr| {
        let shown = if addr.ip().is_unspecified() { SocketAddr::new([127, 0, 0, 1].into(), addr.port()) } else { addr };
        outln!("lvyue serve: open http://{shown}/ in a browser (Ctrl-C stops the server)");
    })
    .map_err(|e| RunError::Io(format!("listening on {}: {e}", a.listen)))?;
    Ok(exit::OK)
}
