//! The five kinds of file, each tying its parse to its apply.

use super::apply::{self, Batch, RowResult};
use super::parse::{self, Line, ParseRecord};
use crate::domain::annual_report::AnnualReport;
use crate::domain::certificates::Certificate;
use crate::domain::enterprise::EnterpriseFields;
use crate::domain::labels::Label;
use crate::domain::pool_entries::PoolEntry;
use crate::error::RegistryError;

/// Writes a batch of lines of one kind.
pub(super) type ApplyBatch<R> =
    fn(&mut Batch<'_>, Vec<Line<R>>) -> Result<Vec<RowResult>, RegistryError>;

/// One kind of record a file holds: how a line is parsed, which natural key it has, and how a
/// batch of them is written.
pub(super) trait RecordKind {
    type Record: Send + 'static;
    const PARSE: ParseRecord<Self::Record>;
    /// The record's natural key and the column that names it: a file may hold each record
    /// once, or a second import of it would not be a no-op.
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str);
    const APPLY: ApplyBatch<Self::Record>;
}

pub(super) struct Enterprises;
pub(super) struct AnnualReports;
pub(super) struct PoolEntries;
pub(super) struct Certificates;
pub(super) struct Labels;

impl RecordKind for Enterprises {
    type Record = EnterpriseFields;
    const PARSE: ParseRecord<Self::Record> = parse::enterprises::parse;
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str) =
        |line| (line.credit_code.clone(), "credit_code");
    const APPLY: ApplyBatch<Self::Record> = apply::enterprises::apply;
}

impl RecordKind for AnnualReports {
    type Record = AnnualReport;
    const PARSE: ParseRecord<Self::Record> = parse::annual_reports::parse;
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str) =
        |line| (format!("{}/{}", line.credit_code, line.record.year), "year");
    const APPLY: ApplyBatch<Self::Record> =
        |batch, lines| apply::apply_children(batch, lines, &apply::annual_reports::KIND);
}

impl RecordKind for PoolEntries {
    type Record = PoolEntry;
    const PARSE: ParseRecord<Self::Record> = parse::pool_entries::parse;
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str) =
        |line| (format!("{}/{}", line.credit_code, line.record.year), "year");
    const APPLY: ApplyBatch<Self::Record> =
        |batch, lines| apply::apply_children(batch, lines, &apply::pool_entries::KIND);
}

impl RecordKind for Certificates {
    type Record = Certificate;
    const PARSE: ParseRecord<Self::Record> = parse::certificates::parse;
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str) =
        |line| (line.record.number.as_str().to_owned(), "certificate_no");
    const APPLY: ApplyBatch<Self::Record> =
        |batch, lines| apply::apply_children(batch, lines, &apply::certificates::KIND);
}

impl RecordKind for Labels {
    type Record = Label;
    const PARSE: ParseRecord<Self::Record> = parse::labels::parse;
    const NATURAL_KEY: fn(&Line<Self::Record>) -> (String, &'static str) = |line| {
        let Label { kind, year, .. } = &line.record;
        let key = format!("{}/{}/{year}", line.credit_code, kind.key());
        (key, "year")
    };
    const APPLY: ApplyBatch<Self::Record> =
        |batch, lines| apply::apply_children(batch, lines, &apply::labels::KIND);
}
