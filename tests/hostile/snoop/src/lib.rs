//! `hostile-snoop`: `evaluate` tries to learn about the machine it runs on
//! with plain Rust std, and reports what it saw as text metrics (it never
//! panics, so the report shows exactly what leaked: it should be nothing).
//!
//! Option `mode`: `file`, `env`, `clock` or `socket`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lvyue_sdk::{Context, Evaluation, EvaluationError, Output, PluginInfo, Request, Value, t};

const ID: &str = "hostile-snoop";

struct Snoop;

fn report(out: &mut Output, key: &str, observed: String) {
    out.metric(key, Value::Text(observed), "", t(key, key), None);
}

fn outcome<T>(r: std::io::Result<T>, ok: impl FnOnce(T) -> String) -> String {
    match r {
        Ok(v) => format!("ok: {}", ok(v)),
        Err(e) => format!("error: {e}"),
    }
}

fn list(path: &str) -> String {
    outcome(std::fs::read_dir(path), |entries| {
        let names: Vec<String> = entries.filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned())).collect();
        format!("{} entries: {}", names.len(), names.join(", "))
    })
}

fn files(out: &mut Output) {
    report(
        out,
        "file.read_passwd",
        outcome(std::fs::read_to_string("/etc/passwd"), |s| format!("{} bytes: {}", s.len(), s.lines().next().unwrap_or(""))),
    );
    report(out, "file.list_root", list("/"));
    report(out, "file.list_cwd", list("."));
    report(out, "file.create", outcome(std::fs::write("/tmp/lvyue-hostile-snoop", b"escaped"), |_| "written".into()));
}

fn env(out: &mut Output) {
    let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let args: Vec<String> = std::env::args().collect();
    report(out, "env.vars_count", vars.len().to_string());
    report(out, "env.vars", vars.join("; "));
    report(out, "env.args_count", args.len().to_string());
    report(out, "env.args", args.join(" "));
    report(out, "env.home", format!("{:?}", std::env::var("HOME")));
    report(out, "env.cwd", outcome(std::env::current_dir(), |p| p.display().to_string()));
}

fn wall_ns() -> String {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos().to_string(),
        Err(e) => format!("before the epoch by {:?}", e.duration()),
    }
}

fn clock(out: &mut Output) {
    let wall_before = wall_ns();
    let mono_before = Instant::now();
    // Let real time pass: a nap and some work.
    std::thread::sleep(Duration::from_millis(50));
    let mut x = 0u64;
    for i in 0..std::hint::black_box(2_000_000u64) {
        x = std::hint::black_box(x.wrapping_add(i));
    }
    let wall_after = wall_ns();
    let mono_after = Instant::now();
    report(out, "clock.wall_before_ns", wall_before);
    report(out, "clock.wall_after_ns", wall_after);
    report(out, "clock.mono_advance_ns", mono_after.duration_since(mono_before).as_nanos().to_string());
    report(out, "clock.mono_elapsed_ns", mono_before.elapsed().as_nanos().to_string());
}

fn sockets(out: &mut Output) {
    use std::net::{TcpListener, TcpStream, ToSocketAddrs, UdpSocket};
    report(out, "socket.tcp_connect", outcome(TcpStream::connect("127.0.0.1:1"), |s| format!("connected from {:?}", s.local_addr())));
    report(out, "socket.tcp_listen", outcome(TcpListener::bind("127.0.0.1:0"), |l| format!("listening on {:?}", l.local_addr())));
    let udp = UdpSocket::bind("127.0.0.1:0");
    let sent = match &udp {
        Ok(s) => outcome(s.send_to(b"lvyue", "127.0.0.1:9"), |n| format!("sent {n} bytes")),
        Err(_) => "error: no socket to send from".into(),
    };
    report(out, "socket.udp_bind", outcome(udp, |s| format!("bound to {:?}", s.local_addr())));
    report(out, "socket.udp_send", sent);
    report(out, "socket.dns", outcome(("localhost", 80).to_socket_addrs(), |a| format!("{:?}", a.collect::<Vec<_>>())));
}

impl lvyue_sdk::Plugin for Snoop {
    fn describe() -> PluginInfo {
        PluginInfo::bare(ID, "0.1.0", t("窥探", "Snoop"), &[2024])
    }

    fn evaluate(req: Request) -> Result<Evaluation, EvaluationError> {
        let mut out = Output::default();
        match Context::new(&req).option("mode") {
            Some("file") => files(&mut out),
            Some("env") => env(&mut out),
            Some("clock") => clock(&mut out),
            Some("socket") => sockets(&mut out),
            other => return Err(EvaluationError::Unsupported(format!("mode {other:?}"))),
        }
        Ok(out.finish())
    }
}

lvyue_sdk::export_plugin!(Snoop);
