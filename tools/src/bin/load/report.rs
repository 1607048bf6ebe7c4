//! The run's report: a Markdown section appended to `load-<date>.md` and one JSON line in
//! `load-<date>.jsonl`, with the machine it ran on and how busy that machine was.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::json;

use crate::wrk::Run;
use hte_tools::report::load_average;

/// pgbench reading the firm's row by a random code: the database's limit for a plain lookup.
pub const PGBENCH_ROW: &str = "pgbench keyed SELECT";
/// pgbench running the keyed GET's own statement (firm, certificates, pool entries, zone).
pub const PGBENCH_STATEMENT: &str = "pgbench, the API's statement";

pub struct Report {
    pub firms: usize,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub load_before: String,
    pub service: Vec<(String, String)>,
    pub runs: Vec<Run>,
}

impl Report {
    pub fn new(firms: usize) -> Self {
        Self {
            firms,
            started_at: chrono::Utc::now(),
            load_before: load_average(),
            service: Vec::new(),
            runs: Vec::new(),
        }
    }

    pub fn errors(&self) -> u64 {
        self.runs.iter().map(|r| r.errors).sum()
    }

    fn find(&self, name: &str, connections: usize) -> Option<&Run> {
        self.runs
            .iter()
            .find(|r| r.name == name && r.connections == connections)
    }

    /// Keyed GET ÷ the pgbench run `reference` at `connections`.
    fn ratio(&self, reference: &str, connections: usize) -> Option<f64> {
        let api = self.find("keyed GET", connections)?;
        let database = self.find(reference, connections)?;
        Some(api.per_second / database.per_second)
    }

    pub fn summary(&self) -> String {
        let mut lines = Vec::new();
        for connections in [16, 50] {
            if let (Some(ratio), Some(api)) = (
                self.ratio(PGBENCH_ROW, connections),
                self.find("keyed GET", connections),
            ) {
                lines.push(format!(
                    "keyed GET ÷ pgbench at {connections} connections: {ratio:.2} \
                     (target ≥ 0.5); keyed GET p50 {:.2} ms, p99 {:.2} ms",
                    api.p50_ms, api.p99_ms
                ));
            }
            if let Some(ratio) = self.ratio(PGBENCH_STATEMENT, connections) {
                lines.push(format!(
                    "keyed GET ÷ pgbench running the API's statement at {connections} \
                     connections: {ratio:.2}"
                ));
            }
        }
        lines.push(format!("errors: {}", self.errors()));
        lines.join("\n")
    }

    fn markdown(&self) -> String {
        let mut md = format!(
            "\n## Registry load — {} firms ({} UTC)\n\nMachine: {}. Load average before the run: {}; after: {}. \
             The registry ran in the bench process ({}), wrk with 2 threads, everything on \
             loopback; PostgreSQL {}.\n\n\
             | run | connections | per second | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n",
            self.firms,
            self.started_at.format("%Y-%m-%d %H:%M"),
            machine(),
            self.load_before,
            load_average(),
            self.service
                .iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            "on the same machine",
        );
        for run in &self.runs {
            md += &format!(
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} |\n",
                run.name, run.connections, run.per_second, run.p50_ms, run.p99_ms, run.errors
            );
        }
        md += &format!(
            "\n{}\n\npgbench runs `SELECT e.* FROM bench_codes b JOIN enterprises e ON e.credit_code = b.credit_code WHERE b.n = :n` with `-M prepared` (a random number picks the code), and then the keyed GET's own statement (the firm left-joined to its certificates, pool entries and zone) with its code picked the same way; the API's p50/p99 are wrk's, pgbench's from its per-transaction log; the write mix times the PATCH/PUT only, each after the GET that yields its ETag.\n",
            self.summary()
        );
        md
    }

    /// Appends the section and the JSON line; returns the Markdown file's path.
    pub fn write(&self, out: &Path) -> Result<PathBuf> {
        let stem = format!("load-{}", self.started_at.format("%Y-%m-%d"));
        let line = json!({
            "started_at": self.started_at.to_rfc3339(),
            "firms": self.firms,
            "machine": machine(),
            "load_before": self.load_before,
            "service": self.service.iter().map(|(k, v)| json!({"setting": k, "value": v})).collect::<Vec<_>>(),
            "runs": self.runs.iter().map(Run::json).collect::<Vec<_>>(),
            "ratio_keyed_over_pgbench": {"c16": self.ratio(PGBENCH_ROW, 16), "c50": self.ratio(PGBENCH_ROW, 50)},
            "ratio_keyed_over_pgbench_statement": {"c16": self.ratio(PGBENCH_STATEMENT, 16), "c50": self.ratio(PGBENCH_STATEMENT, 50)},
        });
        hte_tools::report::append_run(out, &stem, None, &self.markdown(), &line)
    }
}

/// CPU count and model, from /proc/cpuinfo.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_else(|e| format!("({e})"));
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, usize::from);
    format!("{cpus} CPUs ({model})")
}
