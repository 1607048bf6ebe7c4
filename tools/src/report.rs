//! What the benchmark and load binaries share when they report: how busy the machine was,
//! where the databases are, and the day's report files (Markdown for people, one JSON line
//! per run for scripts).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

/// What the bench and load tools both take: the synthetic province (`--firms`, `--seed`),
/// where the reports go (`--out`) and the PostgreSQL server ([`admin_url`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ProvinceArgs {
    /// Firms in the synthetic province.
    #[arg(long, default_value_t = 200_000)]
    pub firms: usize,
    /// Seed of the synthetic province (the same seed makes the same firms).
    #[arg(long, default_value_t = 57)]
    pub seed: u64,
    /// Where the day's reports go.
    #[arg(long, default_value = "bench-output")]
    pub out: PathBuf,
    #[arg(skip = admin_url())]
    pub admin_url: String,
}

/// The PostgreSQL server the tools make their databases on: `BENCH_DATABASE_URL`, or the
/// local development server.
pub fn admin_url() -> String {
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => "postgres://hte:hte@127.0.0.1:5432/hte".to_owned(),
    }
}

/// The 1-, 5- and 15-minute load averages of the machine.
pub fn load_average() -> String {
    match std::fs::read_to_string("/proc/loadavg") {
        Ok(text) => text
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        Err(e) => format!("unknown ({e})"),
    }
}

/// Appends a run's Markdown section to `out/<stem>.md` (a new file starts with `title`, if
/// any) and its raw numbers as one line to `out/<stem>.jsonl`; returns the Markdown file.
pub fn append_run(
    out: &Path,
    stem: &str,
    title: Option<&str>,
    markdown: &str,
    raw: &Value,
) -> Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let md_path = out.join(format!("{stem}.md"));
    let heading = match title {
        Some(title) if !md_path.exists() => format!("{title}\n"),
        _ => String::new(),
    };
    append(&md_path, &format!("{heading}{markdown}"))?;
    append(&out.join(format!("{stem}.jsonl")), &format!("{raw}\n"))?;
    Ok(md_path)
}

fn append(path: &Path, text: &str) -> Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::ProvinceArgs;

    /// A tool's arguments: the province's flags beside one of its own.
    #[derive(Parser)]
    struct Tool {
        #[command(flatten)]
        province: ProvinceArgs,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    }

    #[test]
    fn the_province_flags_are_shared_and_others_left_to_the_tool() {
        let tool = Tool::try_parse_from(["tool", "--firms", "1000", "--out", "elsewhere"]).unwrap();
        assert_eq!((tool.province.firms, tool.province.seed), (1000, 57));
        assert_eq!(tool.province.out, std::path::PathBuf::from("elsewhere"));
        assert_eq!(tool.seconds, 10);
        assert!(!tool.province.admin_url.is_empty());
        let missing = Tool::try_parse_from(["tool", "--seed"]).err().unwrap();
        assert!(missing.to_string().contains("--seed"), "{missing}");
        assert!(Tool::try_parse_from(["tool", "--seed", "x"]).is_err());
        assert!(Tool::try_parse_from(["tool", "--unknown"]).is_err());
    }
}
