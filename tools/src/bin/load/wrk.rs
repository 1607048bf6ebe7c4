//! Load from `wrk` (Debian's package) over a list of request paths picked at random, and from
//! `pgbench -M prepared` straight against PostgreSQL.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

/// Picks a random path of the file named by the script's first argument for every request,
/// and prints the run's figures as one JSON line (wrk's own text has no p99 for errors).
pub const SCRIPT: &str = r#"
local paths = {}
function init(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  -- Each thread its own sequence: the table's address differs per thread.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"#;

/// One load run's figures, as the report shows them.
#[derive(Debug, Clone)]
pub struct Run {
    pub name: String,
    pub connections: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub requests: u64,
}

impl Run {
    /// A run measured by this process's own client: `latencies` in ms, in any order.
    pub fn from_latencies(
        name: &str,
        connections: usize,
        mut latencies: Vec<f64>,
        errors: u64,
        seconds: f64,
    ) -> Self {
        latencies.sort_by(f64::total_cmp);
        let run = Run {
            name: name.to_owned(),
            connections,
            per_second: latencies.len() as f64 / seconds,
            p50_ms: percentile(&latencies, 0.50),
            p99_ms: percentile(&latencies, 0.99),
            errors,
            requests: latencies.len() as u64,
        };
        print_run(&run);
        run
    }

    pub fn json(&self) -> Value {
        json!({
            "name": self.name, "connections": self.connections,
            "per_second": self.per_second, "p50_ms": self.p50_ms, "p99_ms": self.p99_ms,
            "errors": self.errors, "requests": self.requests,
        })
    }
}

/// `wrk` with `connections` for `seconds` against random paths of `paths_file`.
pub fn wrk(
    name: &str,
    base: &str,
    token: &str,
    (script, paths_file): (&Path, &Path),
    connections: usize,
    seconds: u64,
) -> Result<Run> {
    let output = Command::new("wrk")
        .args(["-t", "2", "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", "10s"])
        .args(["-H", &format!("Authorization: Bearer {token}")])
        .arg("-s")
        .arg(script)
        .arg(base)
        .arg("--")
        .arg(paths_file)
        .output()
        .context("running wrk (apt-get install -y wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("WRK "))
        .ok_or_else(|| anyhow!("wrk printed no figures: {text} {}", stderr(&output)))?;
    let figures: Value = serde_json::from_str(line).context("wrk's figures")?;
    let number = |key: &str| figures[key].as_f64().unwrap_or(f64::NAN);
    let errors = [
        "connect_errors",
        "read_errors",
        "write_errors",
        "status_errors",
        "timeouts",
    ]
    .iter()
    .map(|key| figures[*key].as_u64().unwrap_or(u64::MAX))
    .sum();
    let run = Run {
        name: name.to_owned(),
        connections,
        per_second: number("requests") / (number("duration_us") / 1e6),
        p50_ms: number("p50_us") / 1000.0,
        p99_ms: number("p99_us") / 1000.0,
        errors,
        requests: figures["requests"].as_u64().unwrap_or(0),
    };
    print_run(&run);
    Ok(run)
}

/// `pgbench -M prepared` running `script` with `clients` for `seconds`; p50/p99 from its
/// per-transaction log.
pub fn pgbench(name: &str, url: &str, script: &Path, clients: usize, seconds: u64) -> Result<Run> {
    let log_dir = tempfile_dir()?;
    let output = Command::new("pgbench")
        .current_dir(&log_dir)
        .args(["-n", "-M", "prepared", "-j", "2", "-l"])
        .args(["-c", &clients.to_string(), "-T", &seconds.to_string()])
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()
        .context("running pgbench")?;
    if !output.status.success() {
        bail!("pgbench failed: {}", stderr(&output));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let field = |prefix: &str| -> Result<f64> {
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .ok_or_else(|| anyhow!("pgbench printed no '{prefix}': {text}"))?;
        let number = line.split_whitespace().next().unwrap_or_default();
        number.parse().with_context(|| format!("{prefix}{line}"))
    };
    let failed = field("number of failed transactions: ").unwrap_or(0.0);
    let mut latencies = logged_latencies_ms(&log_dir)?;
    std::fs::remove_dir_all(&log_dir).context("removing pgbench's logs")?;
    latencies.sort_by(f64::total_cmp);
    let run = Run {
        name: name.to_owned(),
        connections: clients,
        per_second: field("tps = ")?,
        p50_ms: percentile(&latencies, 0.50),
        p99_ms: percentile(&latencies, 0.99),
        errors: failed as u64,
        requests: latencies.len() as u64,
    };
    print_run(&run);
    Ok(run)
}

/// The third column of every `pgbench_log.*` line: a transaction's latency in µs.
fn logged_latencies_ms(dir: &Path) -> Result<Vec<f64>> {
    let mut latencies = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            let micros: f64 = line
                .split_whitespace()
                .nth(2)
                .ok_or_else(|| anyhow!("odd pgbench log line {line}"))?
                .parse()?;
            latencies.push(micros / 1000.0);
        }
    }
    Ok(latencies)
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hte-load-pgbench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn print_run(run: &Run) {
    println!(
        "  {:<28} c={:<3} {:>9.0}/s  p50 {:>6.2} ms  p99 {:>7.2} ms  errors {}",
        run.name, run.connections, run.per_second, run.p50_ms, run.p99_ms, run.errors
    );
}
