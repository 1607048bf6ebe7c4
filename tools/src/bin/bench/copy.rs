//! (a) The limit: the same rows `COPY`-ed into the same tables of a second fresh database.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};
use chrono::NaiveDate;
use diesel::pg::{CopyFormat, PgConnection};
use diesel::prelude::*;
use enterprise_registry::db::schema;
use enterprise_registry::domain::certificates::certificate_expiry;
use hte_shared::regions::{self, RegionCode};

fn io_error(e: impl std::fmt::Display) -> diesel::result::Error {
    diesel::result::Error::SerializationError(e.to_string().into())
}

/// Streams the CSV file (header skipped) into the COPY sink, appending the server-owned
/// columns that `extra` computes for each record.
fn stream_rows(
    path: &Path,
    sink: &mut dyn Write,
    extra: &dyn Fn(&csv::ByteRecord) -> Result<Vec<String>, String>,
) -> Result<(), diesel::result::Error> {
    let mut reader = csv::Reader::from_path(path).map_err(io_error)?;
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(sink);
    let mut record = csv::ByteRecord::new();
    while reader.read_byte_record(&mut record).map_err(io_error)? {
        let more = extra(&record).map_err(io_error)?;
        for field in record.iter() {
            writer.write_field(field).map_err(io_error)?;
        }
        for field in &more {
            writer.write_field(field.as_bytes()).map_err(io_error)?;
        }
        writer
            .write_record(std::iter::empty::<&[u8]>())
            .map_err(io_error)?;
    }
    writer.flush().map_err(io_error)
}

fn field(record: &csv::ByteRecord, i: usize) -> &str {
    record
        .get(i)
        .and_then(|f| std::str::from_utf8(f).ok())
        .unwrap_or("")
}

/// `COPY <table> (<columns>) FROM STDIN (FORMAT csv)` of a file's rows, each followed by the
/// server-owned columns `extra` computes.
macro_rules! copy_csv {
    ($conn:expr, $path:expr, $table:expr, ($($column:expr),* $(,)?), $extra:expr) => {
        diesel::copy_from($table)
            .from_raw_data(($($column,)*), |sink| stream_rows($path, sink, &$extra))
            .with_format(CopyFormat::Csv)
            .execute($conn)?
    };
}

/// The creation time COPY stamps on every row, in PostgreSQL's text form.
fn timestamp() -> String {
    hte_shared::time::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

pub fn copy_file(conn: &mut PgConnection, kind: &str, path: &Path) -> Result<usize> {
    Ok(match kind {
        "enterprises" => copy_enterprises(conn, path)?,
        "annual_reports" => copy_annual_reports(conn, path)?,
        "pool_entries" => {
            use schema::pool_entries::dsl as t;
            let ts = timestamp();
            let extra = |_: &csv::ByteRecord| Ok(vec![ts.clone()]);
            copy_csv!(
                conn,
                path,
                t::pool_entries,
                (
                    t::credit_code,
                    t::year,
                    t::batch,
                    t::source,
                    t::entered_on,
                    t::exited_on,
                    t::exit_reason,
                    t::created_at
                ),
                extra
            )
        }
        "certificates" => copy_certificates(conn, path)?,
        "labels" => {
            use schema::labels::dsl as t;
            let ts = timestamp();
            let extra = |_: &csv::ByteRecord| Ok(vec![ts.clone()]);
            copy_csv!(
                conn,
                path,
                t::labels,
                (
                    t::credit_code,
                    t::kind,
                    t::year,
                    t::level,
                    t::issuer,
                    t::created_at
                ),
                extra
            )
        }
        other => bail!("unknown kind {other}"),
    })
}

fn copy_enterprises(conn: &mut PgConnection, path: &Path) -> Result<usize> {
    use schema::enterprises::dsl as t;
    let ts = timestamp();
    let extra = |r: &csv::ByteRecord| -> Result<Vec<String>, String> {
        let code = RegionCode::parse(field(r, 2)).map_err(|e| e.to_string())?;
        let city = regions::city_of(&code)
            .ok_or_else(|| format!("{code} has no city"))?
            .code
            .to_string();
        Ok(vec![city, "1".to_owned(), ts.clone(), ts.clone()])
    };
    Ok(copy_csv!(
        conn,
        path,
        t::enterprises,
        (
            t::credit_code,
            t::name,
            t::region_code,
            t::registered_on,
            t::industry_code,
            t::tech_domain,
            t::zone_level,
            t::zone_id,
            t::above_scale,
            t::carrier_id,
            t::listing_status,
            t::city_code,
            t::version,
            t::created_at,
            t::updated_at,
        ),
        extra
    ))
}

fn copy_annual_reports(conn: &mut PgConnection, path: &Path) -> Result<usize> {
    use schema::annual_reports::dsl as t;
    let ts = timestamp();
    let extra = |_: &csv::ByteRecord| Ok(vec!["1".to_owned(), ts.clone()]);
    Ok(copy_csv!(
        conn,
        path,
        t::annual_reports,
        (
            t::credit_code,
            t::year,
            t::employees,
            t::st_staff,
            t::total_income_yuan,
            t::sales_revenue_yuan,
            t::hightech_income_yuan,
            t::rd_expense_yuan,
            t::rd_expense_domestic_yuan,
            t::total_costs_yuan,
            t::net_assets_yuan,
            t::total_assets_yuan,
            t::industrial_output_yuan,
            t::tax_paid_yuan,
            t::invention_patents,
            t::class1_ip,
            t::class2_ip,
            t::new_ip,
            t::conversions,
            t::rd_institution,
            t::version,
            t::updated_at,
        ),
        extra
    ))
}

fn copy_certificates(conn: &mut PgConnection, path: &Path) -> Result<usize> {
    use schema::certificates::dsl as t;
    let ts = timestamp();
    let extra = |r: &csv::ByteRecord| -> Result<Vec<String>, String> {
        let issued: NaiveDate = field(r, 2).parse().map_err(|e| format!("{e}"))?;
        Ok(vec![certificate_expiry(issued).to_string(), ts.clone()])
    };
    Ok(copy_csv!(
        conn,
        path,
        t::certificates,
        (
            t::credit_code,
            t::certificate_no,
            t::issued_on,
            t::revoked_on,
            t::revoke_reason,
            t::expires_on,
            t::created_at,
        ),
        extra
    ))
}

pub fn table_counts(url: &str) -> Result<BTreeMap<String, i64>> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url)?;
    let mut counts = BTreeMap::new();
    for table in [
        "enterprises",
        "annual_reports",
        "pool_entries",
        "certificates",
        "labels",
        "audit_log",
    ] {
        let c: Count = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result(&mut conn)?;
        counts.insert(table.to_owned(), c.n);
    }
    Ok(counts)
}

pub fn database_size_mb(url: &str) -> Result<f64> {
    #[derive(QueryableByName)]
    struct Size {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url)?;
    let s: Size = diesel::sql_query("SELECT pg_database_size(current_database()) AS n")
        .get_result(&mut conn)?;
    Ok(s.n as f64 / 1_048_576.0)
}
