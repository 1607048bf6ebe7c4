//! `--sqlite-write-during-import` (issue #19): the registry on a fresh SQLite file imports the
//! synthetic province's enterprises file through `POST /api/v1/imports` (mode `partial`)
//! while a firm is registered through the API every two seconds; each write's latency, the
//! largest, and the same writes on the idle service for comparison.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Utc};
use enterprise_registry::app::imports::{BATCH_ROWS, SQLITE_TURN_ROWS};
use serde_json::{Value, json};

use crate::import::{ImportOutcome, post_file};
use crate::writes::{TimedWrite, max_ms, probe_until, timed_create};
use crate::{Args, Service, generate, median, random_hex, start_service};
use hte_tools::report::load_average;

/// Time between two writes during the import.
const EVERY: Duration = Duration::from_secs(2);
/// Writes on the idle service before the import.
const IDLE_WRITES: u32 = 5;

struct Measured {
    started_at: DateTime<Utc>,
    firms: usize,
    http_workers: usize,
    import: ImportOutcome,
    idle: Vec<TimedWrite>,
    during: Vec<TimedWrite>,
    load: (String, String),
}

/// Runs the measurement and appends it to `DIR/registry-sqlite-writes-<date>.{md,jsonl}`.
pub async fn run(args: &Args) -> Result<()> {
    let started_at = Utc::now();
    let load_before = load_average();
    let data_dir = args.data.clone().unwrap_or_else(|| {
        args.province.out.join(format!(
            "synthetic-{}-{}",
            args.province.firms, args.province.seed
        ))
    });
    let (summary, _) = generate(args, &data_dir).await?;
    let id = random_hex()?;
    let folder = std::env::temp_dir().join(format!("hte-bench-{id}"));
    std::fs::create_dir_all(&folder)?;
    let url = format!("sqlite://{}", folder.join("registry.db").display());
    let service = start_service(&url, &id).await?;
    println!("registry on {url} (port {})", service.port);

    let since = Instant::now();
    let idle = idle_writes(&service, since)?;
    let (import, during) = import_while_writing(&service, &data_dir, summary.enterprises).await?;
    let measured = Measured {
        started_at,
        firms: summary.enterprises,
        http_workers: service.http_workers,
        import,
        idle,
        during,
        load: (load_before, load_average()),
    };
    service.handle.stop(true).await;
    let _ = service.server.await;
    let _ = std::fs::remove_dir_all(&service.tmp_data);
    if !args.keep_data {
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    let report = measured.write(&args.province.out)?;
    println!(
        "writes during the import: {} (max {:.0} ms); report: {}",
        measured.during.len(),
        max_ms(&measured.during),
        report.display()
    );
    Ok(())
}

fn idle_writes(service: &Service, since: Instant) -> Result<Vec<TimedWrite>> {
    let mut idle = Vec::new();
    for serial in 0..IDLE_WRITES {
        idle.push(timed_create(service.port, &service.token, serial, since)?);
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(idle)
}

/// Posts the enterprises file and, meanwhile, writes a firm every [`EVERY`].
async fn import_while_writing(
    service: &Service,
    data_dir: &Path,
    rows: usize,
) -> Result<(ImportOutcome, Vec<TimedWrite>)> {
    let done = Arc::new(AtomicBool::new(false));
    let since = Instant::now();
    let importing = {
        let (port, token, path, done) = (
            service.port,
            service.token.clone(),
            data_dir.join("enterprises.csv"),
            Arc::clone(&done),
        );
        tokio::task::spawn_blocking(move || {
            let outcome = post_file(port, &token, "enterprises", &path, rows, 0);
            done.store(true, Ordering::SeqCst);
            outcome
        })
    };
    let probing = {
        let (port, token, done) = (service.port, service.token.clone(), Arc::clone(&done));
        tokio::task::spawn_blocking(move || {
            probe_until(port, &token, (IDLE_WRITES, EVERY), since, || {
                done.load(Ordering::SeqCst)
            })
        })
    };
    let import = importing.await??;
    let during = probing.await??;
    for w in &during {
        println!(
            "  write at {:>6.1} s: {:>7.1} ms (HTTP {})",
            w.at_s, w.ms, w.status
        );
    }
    println!(
        "  import of {rows} rows: {:.1} s, {:?} {:?}",
        import.seconds, import.statuses, import.counts
    );
    Ok((import, during))
}

impl Measured {
    fn raw(&self) -> Value {
        json!({
            "started_at": self.started_at.to_rfc3339(),
            "backend": "sqlite",
            "rows": self.firms,
            "batch_rows": BATCH_ROWS,
            "sqlite_turn_rows": SQLITE_TURN_ROWS,
            "cpus": std::thread::available_parallelism().map_or(0, usize::from),
            "http_workers": self.http_workers,
            "load_average": {"before": self.load.0, "after": self.load.1},
            "import": self.import.raw(),
            "idle_writes": self.idle.iter().map(TimedWrite::raw).collect::<Vec<_>>(),
            "writes_during_import": self.during.iter().map(TimedWrite::raw).collect::<Vec<_>>(),
            "idle_median_ms": median(self.idle.iter().map(|w| w.ms).collect()),
            "during_median_ms": median(self.during.iter().map(|w| w.ms).collect()),
            "during_max_ms": max_ms(&self.during),
        })
    }

    fn markdown(&self) -> Result<String> {
        let raw = self.raw();
        let refused = self.during.iter().filter(|w| w.status != 201).count();
        let mut md = format!(
            "\n## API writes during a {}-row import on SQLite ({})\n\n\
             A fresh SQLite file; the enterprises file ({} bytes) posted to \
             `POST /api/v1/imports?kind=enterprises&mode=partial` (read in batches of {} rows, \
             written in slices of {} rows, the writer's turn taken per slice) while `POST /api/v1/enterprises` registered a firm \
             every {} s. {} build; {} CPUs, {} HTTP workers; load average before {}, after {} \
             (other engineers' builds and tests shared the machine).\n\n\
             Import: {:.1} s ({:.0} rows/s), {:?} {:?}.\n\n\
             Writes on the idle service: median {:.1} ms. During the import: {} writes, median \
             {:.1} ms, **max {:.1} ms**, {} not 201.\n\n| at s | ms | status |\n|---:|---:|---:|\n",
            self.firms,
            self.started_at.format("%Y-%m-%d %H:%M UTC"),
            self.import.bytes,
            BATCH_ROWS,
            SQLITE_TURN_ROWS,
            EVERY.as_secs(),
            if cfg!(debug_assertions) {
                "Debug"
            } else {
                "Release"
            },
            raw["cpus"],
            self.http_workers,
            self.load.0,
            self.load.1,
            self.import.seconds,
            self.firms as f64 / self.import.seconds.max(1e-9),
            self.import.statuses,
            self.import.counts,
            raw["idle_median_ms"].as_f64().unwrap_or(0.0),
            self.during.len(),
            raw["during_median_ms"].as_f64().unwrap_or(0.0),
            max_ms(&self.during),
            refused
        );
        for w in &self.during {
            md.push_str(&format!("| {:.1} | {:.1} | {} |\n", w.at_s, w.ms, w.status));
        }
        md.push_str(&format!(
            "\n<details><summary>raw numbers</summary>\n\n```json\n{}\n```\n</details>\n",
            serde_json::to_string_pretty(&raw)?
        ));
        Ok(md)
    }

    fn write(&self, out: &Path) -> Result<PathBuf> {
        let stem = format!(
            "registry-sqlite-writes-{}",
            self.started_at.format("%Y-%m-%d")
        );
        let title = "# Registry: API writes during an import on SQLite";
        hte_tools::report::append_run(out, &stem, Some(title), &self.markdown()?, &self.raw())
    }
}
