//! `--rebuild-only`: the readiness build alone, timed `REBUILD_RUNS` times on one database
//! filled by COPY (no API import, statistics or exports), with the load average around each
//! run, appended to `registry-rebuild-<date>.md` in the output directory.

use std::io::Write;

use anyhow::{Context, Result};

use hte_tools::report::load_average;

const REBUILD_RUNS: usize = 2;

/// One timed build: seconds, the load average before and after, and the slowest write.
struct Run {
    seconds: f64,
    load_before: String,
    load_after: String,
    writes: usize,
    /// Writes not answered 201.
    refused: usize,
    max_write_ms: f64,
}

pub async fn run(args: &crate::Args) -> Result<()> {
    let started_at = chrono::Utc::now();
    let data_dir = args.data.clone().unwrap_or_else(|| {
        args.province.out.join(format!(
            "synthetic-{}-{}",
            args.province.firms, args.province.seed
        ))
    });
    let (summary, _) = crate::generate(args, &data_dir).await?;
    let id = crate::random_hex()?;
    let mut databases = crate::Databases {
        admin_url: args.province.admin_url.clone(),
        names: Vec::new(),
        keep: args.keep_databases,
    };
    let url = databases.create(&format!("bench_{id}_rebuild"))?;
    crate::copy_into(&url, &data_dir).await?;
    let service = crate::start_service(&url, &id).await?;
    let mut runs = Vec::new();
    for k in 1..=REBUILD_RUNS {
        let load_before = load_average();
        let (port, token) = (service.port, service.token.clone());
        let first_serial = 500_000 + 10_000 * k as u32;
        let (seconds, writes) = tokio::task::spawn_blocking(move || {
            crate::screening::rebuild(port, &token, first_serial)
        })
        .await??;
        let run = Run {
            seconds,
            load_before,
            load_after: load_average(),
            writes: writes.len(),
            refused: writes.iter().filter(|w| w.status != 201).count(),
            max_write_ms: writes.iter().map(|w| w.ms).fold(0.0, f64::max),
        };
        println!(
            "readiness build {k}: {:.1} s (load {} -> {}), {} writes ({} not 201), max {:.0} ms",
            run.seconds, run.load_before, run.load_after, run.writes, run.refused, run.max_write_ms
        );
        runs.push(run);
    }
    service.stop(databases, args, &data_dir).await;
    report(args, &summary.to_string(), started_at, &runs)
}

fn report(
    args: &crate::Args,
    summary: &str,
    started_at: chrono::DateTime<chrono::Utc>,
    runs: &[Run],
) -> Result<()> {
    let path = args.province.out.join(format!(
        "registry-rebuild-{}.md",
        started_at.format("%Y-%m-%d")
    ));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    writeln!(
        file,
        "## Readiness rebuild only — {} firms, seed {} ({} UTC)\n\n{summary}; loaded by COPY into \
         one PostgreSQL database, then `POST /api/v1/candidates/readiness` timed until the build \
         finished, {} times (the first over an empty table, later ones replacing its rows), a \
         firm registered through the API every second meanwhile. Release build; 2 CPUs shared.\n\n\
         | run | build (s) | load before | load after | writes (not 201) | max write (ms) |\n\
         |---|---|---|---|---|---|",
        args.province.firms,
        args.province.seed,
        started_at.format("%Y-%m-%d %H:%M"),
        runs.len()
    )?;
    for (k, run) in runs.iter().enumerate() {
        writeln!(
            file,
            "| {} | {:.1} | {} | {} | {} ({}) | {:.0} |",
            k + 1,
            run.seconds,
            run.load_before,
            run.load_after,
            run.writes,
            run.refused,
            run.max_write_ms
        )?;
    }
    writeln!(file)?;
    println!("appended to {}", path.display());
    Ok(())
}
