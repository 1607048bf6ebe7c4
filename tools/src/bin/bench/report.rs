//! The bench's results: a Markdown report appended to `DIR/registry-<date>.md`, the raw numbers
//! to `DIR/registry-<date>.jsonl`, and a summary on stdout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use hte_tools::synthetic::Summary;
use serde_json::{Value, json};

use super::import::ImportOutcome;

/// Peak (VmHWM) and resident (VmRSS) memory of this process, in KiB, at three points.
pub struct Memory {
    pub hwm_before_import: u64,
    pub rss_before_import: u64,
    pub hwm_after_import: u64,
    pub rss_after_import: u64,
    pub hwm_after_candidates: u64,
    pub rss_after_candidates: u64,
}

/// `GET /api/v1/candidates?scope=all&limit=50`, timed.
pub struct Candidates {
    pub ms: f64,
    pub status: u16,
    pub items: usize,
    /// The body of a failed answer.
    pub note: String,
}

/// A file `COPY`-ed: its kind, rows and seconds.
pub type Copied = (String, usize, f64);

pub struct Results {
    pub started_at: DateTime<Utc>,
    pub as_of: NaiveDate,
    pub firms: usize,
    pub seed: u64,
    pub runs: usize,
    pub summary: Summary,
    pub generate_seconds: f64,
    pub http_workers: usize,
    pub pool_size: u32,
    pub api: Vec<ImportOutcome>,
    pub copy: Vec<Copied>,
    pub table_counts: (BTreeMap<String, i64>, BTreeMap<String, i64>),
    pub database_mb: (f64, f64),
    pub statistics: Vec<Value>,
    pub candidates: Candidates,
    /// Screening read from the readiness table after a full build.
    pub from_table: crate::screening::FromTable,
    pub memory: Memory,
    /// Load averages (1, 5, 15 min) when the run started and ended.
    pub load: (String, String),
}

impl Results {
    fn api_seconds(&self) -> f64 {
        self.api.iter().map(|o| o.seconds).sum()
    }

    fn api_rows_per_s(&self) -> f64 {
        self.summary.total() as f64 / self.api_seconds().max(1e-9)
    }

    fn copy_seconds(&self) -> f64 {
        self.copy.iter().map(|c| c.2).sum()
    }

    fn copy_rows(&self) -> usize {
        self.copy.iter().map(|c| c.1).sum()
    }

    fn copy_rows_per_s(&self) -> f64 {
        self.copy_rows() as f64 / self.copy_seconds().max(1e-9)
    }

    fn ratio(&self) -> f64 {
        self.api_rows_per_s() / self.copy_rows_per_s().max(1e-9)
    }

    fn rejected(&self) -> i64 {
        self.api
            .iter()
            .map(|o| o.counts.get("rejected").copied().unwrap_or(0))
            .sum()
    }

    fn cpus() -> usize {
        std::thread::available_parallelism().map_or(0, usize::from)
    }

    fn raw(&self) -> Value {
        let s = &self.summary;
        let m = &self.memory;
        json!({
            "started_at": self.started_at.to_rfc3339(),
            "firms": self.firms,
            "seed": self.seed,
            "summary": {
                "enterprises": s.enterprises, "annual_reports": s.annual_reports,
                "pool_entries": s.pool_entries, "certificates": s.certificates,
                "labels": s.labels, "total": s.total(),
            },
            "generate_seconds": self.generate_seconds,
            "machine": {"cpus": Self::cpus(), "http_workers": self.http_workers, "db_pool_size": self.pool_size,
                        "load_average_start": self.load.0, "load_average_end": self.load.1,
                        "build": if cfg!(debug_assertions) { "debug" } else { "release" }},
            "import_api": self.api.iter().map(ImportOutcome::raw).collect::<Vec<_>>(),
            "import_api_total": {"rows": s.total(), "seconds": self.api_seconds(), "rows_per_s": self.api_rows_per_s(), "rejected": self.rejected()},
            "copy": self.copy.iter().map(|(k, n, s)| json!({"kind": k, "rows": n, "seconds": s, "rows_per_s": *n as f64 / s.max(1e-9)})).collect::<Vec<_>>(),
            "copy_total": {"rows": self.copy_rows(), "seconds": self.copy_seconds(), "rows_per_s": self.copy_rows_per_s()},
            "ratio_api_over_copy": self.ratio(),
            "table_counts": {"api": self.table_counts.0, "copy": self.table_counts.1},
            "database_mb": {"api": self.database_mb.0, "copy": self.database_mb.1},
            "statistics": self.statistics,
            "candidates": {"ms": self.candidates.ms, "status": self.candidates.status, "items": self.candidates.items},
            "candidates_from_table": {
                "rebuild_s": self.from_table.rebuild_s, "first_page_ms": self.from_table.first_ms,
                "later_page": crate::screening::LATER_PAGE + 1, "later_page_ms": self.from_table.later_ms,
                "cursor_median_ms": self.from_table.cursor_median_ms,
                "export_csv_ms": self.from_table.export_ms, "export_csv_bytes": self.from_table.export_bytes,
                "export_vmhwm_growth_kib": self.from_table.export_hwm_growth_kib,
                "export_xlsx_ms": self.from_table.xlsx_ms, "export_xlsx_bytes": self.from_table.xlsx_bytes,
                "export_xlsx_vmhwm_growth_kib": self.from_table.xlsx_hwm_growth_kib,
                "summary_ms": self.from_table.summary_ms,
                "writes_during_build": self.from_table.writes_during_build.iter().map(crate::writes::TimedWrite::raw).collect::<Vec<_>>(),
                "writes_during_build_max_ms": crate::writes::max_ms(&self.from_table.writes_during_build),
            },
            "memory_kib": {
                "vmhwm_before_import": m.hwm_before_import, "vmrss_before_import": m.rss_before_import,
                "vmhwm_after_import": m.hwm_after_import, "vmrss_after_import": m.rss_after_import,
                "vmhwm_after_candidates": m.hwm_after_candidates, "vmrss_after_candidates": m.rss_after_candidates,
            },
        })
    }

    fn import_section(&self, md: &mut String) {
        md.push_str("### (a) Import: API vs COPY\n\n| file | rows | API s | API rows/s | COPY s | COPY rows/s | API ÷ COPY | rejected |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (o, (_, n, s)) in self.api.iter().zip(&self.copy) {
            let a = o.rows_in_file as f64 / o.seconds.max(1e-9);
            let c = *n as f64 / s.max(1e-9);
            md.push_str(&format!(
                "| {} | {} | {:.1} | {:.0} | {:.2} | {:.0} | {:.3} | {} |\n",
                o.kind,
                o.rows_in_file,
                o.seconds,
                a,
                s,
                c,
                a / c.max(1e-9),
                o.counts.get("rejected").copied().unwrap_or(0)
            ));
        }
        md.push_str(&format!(
            "| **total** | {} | {:.1} | {:.0} | {:.2} | {:.0} | **{:.3}** | {} |\n\n",
            self.summary.total(),
            self.api_seconds(),
            self.api_rows_per_s(),
            self.copy_seconds(),
            self.copy_rows_per_s(),
            self.ratio(),
            self.rejected()
        ));
        md.push_str("COPY method: the CSV is streamed through Rust (csv reader → `COPY <table> (<columns>) FROM STDIN (FORMAT csv)` via diesel's `copy_from`), appending the server-owned columns per row (enterprises: city_code from the division table, version 1, created_at/updated_at; annual_reports: version, updated_at; pool_entries/labels: created_at; certificates: expires_on = issued_on + 3 years − 1 day, created_at). Same schema, indexes and foreign keys as the API database (migrations applied); no audit log rows, no validation.\n\n");
        for o in &self.api {
            o.notes(md);
        }
        md.push_str(&format!(
            "\nRows in the tables afterwards — API DB: {:?}; COPY DB: {:?}. Database size: API {:.0} MB, COPY {:.0} MB.\n\n",
            self.table_counts.0, self.table_counts.1, self.database_mb.0, self.database_mb.1
        ));
    }

    fn statistics_section(&self, md: &mut String) {
        md.push_str("### (b) Statistics (median of timed runs after 3 warm-ups)\n\n| level | API ms | SQL ms | API ÷ SQL |\n|---|---:|---:|---:|\n");
        for s in &self.statistics {
            md.push_str(&format!(
                "| {} | {:.1} | {:.1} | {:.2} |\n",
                s["level"].as_str().unwrap_or(""),
                s["api_median_ms"].as_f64().unwrap_or(0.0),
                s["sql_median_ms"].as_f64().unwrap_or(0.0),
                s["ratio_api_over_sql"].as_f64().unwrap_or(0.0)
            ));
        }
        md.push_str(&format!(
            "\nas_of {}, report year {}, {} timed runs each; the SQL side is `counts_sql` + `new_certificates_sql` on one direct connection to the API database; the API side includes HTTP on loopback, auth, pooling and JSON.\n\n",
            self.as_of,
            self.as_of.year() - 1,
            self.runs
        ));
    }

    fn memory_and_candidates_sections(&self, md: &mut String) {
        let m = &self.memory;
        let mib = |kib: u64| kib as f64 / 1024.0;
        md.push_str(&format!(
            "### (c) Memory (VmHWM of the bench process, which also runs the service)\n\n| point | VmHWM MiB | VmRSS MiB |\n|---|---:|---:|\n| before import | {:.0} | {:.0} |\n| after import | {:.0} | {:.0} |\n| after candidates | {:.0} | {:.0} |\n\nCaveat: the service runs in-process, so these figures include the benchmark's own memory: the client holds each CSV file in memory while it is posted (largest file {:.0} MiB), plus the generator's buffers. The increase across the import is an upper bound on what the service needed.\n\n",
            mib(m.hwm_before_import),
            mib(m.rss_before_import),
            mib(m.hwm_after_import),
            mib(m.rss_after_import),
            mib(m.hwm_after_candidates),
            mib(m.rss_after_candidates),
            self.api.iter().map(|o| o.bytes).max().unwrap_or(0) as f64 / 1_048_576.0
        ));
        let c = &self.candidates;
        let note = if c.note.is_empty() {
            String::new()
        } else {
            format!(" — `{}`", c.note)
        };
        md.push_str(&format!(
            "### (d) Candidate screening\n\nBefore (every firm assessed per request): `GET /api/v1/candidates?scope=all&limit=50`: {:.0} ms, HTTP {}, {} items{note}.\n\n",
            c.ms, c.status, c.items
        ));
        let t = &self.from_table;
        md.push_str(&format!(
            "After (readiness table): full build {:.1} s (batches of 500 in the background, two workers on PostgreSQL); first page {:.0} ms; page {} by cursor {:.0} ms (median of the cursor pages {:.0} ms); whole ranking as CSV {:.0} ms ({} bytes, peak resident memory of the process {:.1} MiB above its resident memory before; the client reads the body in 64 KiB pieces and keeps none of it, so the growth is the service's), as XLSX {:.0} ms ({} bytes, {:.1} MiB); `GET /api/v1/candidates/summary` {:.0} ms.\n\n",
            t.rebuild_s,
            t.first_ms,
            crate::screening::LATER_PAGE + 1,
            t.later_ms,
            t.cursor_median_ms,
            t.export_ms,
            t.export_bytes,
            t.export_hwm_growth_kib as f64 / 1024.0,
            t.xlsx_ms,
            t.xlsx_bytes,
            t.xlsx_hwm_growth_kib as f64 / 1024.0,
            t.summary_ms
        ));
        let writes = &t.writes_during_build;
        md.push_str(&format!(
            "During the build, {} firms were registered through the API (one a second): median {:.1} ms, max {:.1} ms, {} not 201.\n\n",
            writes.len(),
            crate::median(writes.iter().map(|w| w.ms).collect()),
            crate::writes::max_ms(writes),
            writes.iter().filter(|w| w.status != 201).count()
        ));
    }

    fn markdown(&self) -> Result<String> {
        let mut md = String::new();
        md.push_str(&format!(
            "\n## Registry benchmark — {} firms, seed {} ({})\n\n",
            self.firms,
            self.seed,
            self.started_at.format("%Y-%m-%d %H:%M UTC")
        ));
        md.push_str(&format!(
            "Synthetic province: {}; generated in {:.1} s. {} build. Machine: {} CPUs, load average {} at the start and {} at the end (other engineers' builds and tests shared it); the service ran in-process with {} HTTP workers and a pool of {} PostgreSQL connections.\n\n",
            self.summary,
            self.generate_seconds,
            if cfg!(debug_assertions) { "Debug" } else { "Release" },
            Self::cpus(),
            self.load.0,
            self.load.1,
            self.http_workers,
            self.pool_size
        ));
        self.import_section(&mut md);
        self.statistics_section(&mut md);
        self.memory_and_candidates_sections(&mut md);
        md.push_str(&format!(
            "<details><summary>raw numbers</summary>\n\n```json\n{}\n```\n</details>\n",
            serde_json::to_string_pretty(&self.raw())?
        ));
        Ok(md)
    }

    /// Appends the report and the raw numbers to the files of the day in `out`.
    pub fn write(&self, out: &Path) -> Result<PathBuf> {
        let stem = format!("registry-{}", self.as_of.format("%Y-%m-%d"));
        let title = format!("# Enterprise registry benchmarks — {}", self.as_of);
        hte_tools::report::append_run(out, &stem, Some(&title), &self.markdown()?, &self.raw())
    }

    pub fn print_summary(&self, report: &Path) {
        println!();
        println!("firms {}  rows {}", self.firms, self.summary.total());
        println!("{:<28} {:>12} {:>12} {:>10}", "", "API", "direct", "ratio");
        println!(
            "{:<28} {:>12.0} {:>12.0} {:>10.3}",
            "import rows/s (vs COPY)",
            self.api_rows_per_s(),
            self.copy_rows_per_s(),
            self.ratio()
        );
        for s in &self.statistics {
            println!(
                "{:<28} {:>12.1} {:>12.1} {:>10.2}",
                format!("statistics {} median ms", s["level"].as_str().unwrap_or("")),
                s["api_median_ms"].as_f64().unwrap_or(0.0),
                s["sql_median_ms"].as_f64().unwrap_or(0.0),
                s["ratio_api_over_sql"].as_f64().unwrap_or(0.0)
            );
        }
        println!(
            "{:<28} {:>12.0}",
            "candidates scope=all ms", self.candidates.ms
        );
        println!("{:<28} {:>12}", "rejected rows (API)", self.rejected());
        let m = &self.memory;
        println!(
            "VmHWM MiB: before import {:.0}, after import {:.0}, after candidates {:.0}",
            m.hwm_before_import as f64 / 1024.0,
            m.hwm_after_import as f64 / 1024.0,
            m.hwm_after_candidates as f64 / 1024.0
        );
        println!("report: {}", report.display());
    }
}
