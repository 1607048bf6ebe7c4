//! What the benchmark and load binaries share when they report: how busy the machine was,
//! where the databases are, and the day's report files (Markdown for people, one JSON line
//! per run for scripts).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

/// What the bench and load tools both take: the synthetic province (`--firms`, `--seed`),
/// where the reports go (`--out`) and the PostgreSQL server ([`admin_url`]).
#[derive(Debug, Clone)]
pub struct ProvinceArgs {
    pub firms: usize,
    pub seed: u64,
    pub out: PathBuf,
    pub admin_url: String,
}

impl Default for ProvinceArgs {
    fn default() -> Self {
        Self {
            firms: 200_000,
            seed: 57,
            out: PathBuf::from("bench-output"),
            admin_url: admin_url(),
        }
    }
}

impl ProvinceArgs {
    /// Reads `flag` if it is one of these (its value from `value`); false for any other.
    pub fn take(&mut self, flag: &str, value: impl FnOnce() -> Option<String>) -> Result<bool> {
        let value = || value().ok_or_else(|| anyhow!("{flag} needs a value"));
        match flag {
            "--firms" => self.firms = value()?.parse().context("--firms")?,
            "--seed" => self.seed = value()?.parse().context("--seed")?,
            "--out" => self.out = PathBuf::from(value()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
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
    use super::ProvinceArgs;

    #[test]
    fn the_province_flags_are_taken_and_others_left_to_the_tool() {
        let mut args = ProvinceArgs::default();
        assert!(args.take("--firms", || Some("1000".into())).unwrap());
        assert!(args.take("--out", || Some("elsewhere".into())).unwrap());
        assert_eq!((args.firms, args.seed), (1000, 57));
        assert_eq!(args.out, std::path::PathBuf::from("elsewhere"));
        let other = args.take("--seconds", || panic!("another tool's value is not read"));
        assert!(!other.unwrap());
        let missing = args.take("--seed", || None).unwrap_err();
        assert_eq!(missing.to_string(), "--seed needs a value");
        assert!(args.take("--seed", || Some("x".into())).is_err());
    }
}
