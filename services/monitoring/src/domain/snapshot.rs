//! Snapshots (快照): the frozen figures of a plan for a period on an as-of date.
//!
//! A snapshot is immutable. Retaking a period makes a new revision and keeps the old ones;
//! readers take the latest revision of a period. Scheduled snapshots are taken once per
//! period (a complete one ends the period's schedule; a partial one is retried).
//! Every value records where its figures came from ([`Source`]); a snapshot whose upstream
//! figures could not all be had, or were not all of the snapshot's as-of date, is `partial`
//! with the reason — never silently incomplete ([`assess_sources`]).

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::indicator::InputFigure;
use super::inputs::InputMeasure;
use super::vocabulary::closed_vocabulary;

closed_vocabulary! {
    SnapshotStatus {
        /// 完整: every figure was had for the as-of date.
        Complete = "complete",
        /// 不完整: some figures are missing; the reason says which.
        Partial = "partial",
    }
}

closed_vocabulary! {
    /// Why a snapshot was taken.
    Trigger {
        /// 定期: by the schedule.
        Scheduled = "scheduled",
        /// 按需: by an official's request.
        OnDemand = "on_demand",
    }
}

/// Where a figure came from (数据来源).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// `enterprise-registry`, `target-allocation` or `monitoring` (statistics inputs).
    pub service: String,
    /// The route read, with its query, e.g. `GET /api/v1/statistics?level=city&as_of=…`.
    pub route: String,
    /// The date the figures describe.
    pub as_of: NaiveDate,
    /// When they were fetched (UTC).
    #[serde(with = "hte_shared::time::utc")]
    pub fetched_at: NaiveDateTime,
    /// For a statistics input: which measure, period and version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<InputSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSource {
    pub measure: InputMeasure,
    #[serde(flatten)]
    pub figure: InputFigure,
}

/// Decides a snapshot's status from what was had: `partial` with a reason naming each
/// upstream that failed and each source of another as-of date, `complete` otherwise.
pub fn assess_sources(
    as_of: NaiveDate,
    sources: &[Source],
    failures: &[String],
) -> (SnapshotStatus, Option<String>) {
    let mut reasons: Vec<String> = failures.to_vec();
    for source in sources {
        // Statistics inputs describe their own period; only fetched figures must match.
        if source.input.is_none() && source.as_of != as_of {
            reasons.push(format!(
                "{} {} is of {} not {as_of} ({}数据日期不一致)",
                source.service, source.route, source.as_of, source.service
            ));
        }
    }
    if reasons.is_empty() {
        (SnapshotStatus::Complete, None)
    } else {
        (SnapshotStatus::Partial, Some(reasons.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::period::Period;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn source(service: &str, as_of: &str, input: Option<InputSource>) -> Source {
        Source {
            service: service.to_owned(),
            route: "GET /api/v1/statistics?level=city".to_owned(),
            as_of: d(as_of),
            fetched_at: d("2020-10-01").and_hms_opt(1, 2, 3).unwrap(),
            input,
        }
    }

    #[test]
    fn a_snapshot_is_partial_when_an_upstream_failed_or_dates_differ() {
        let as_of = d("2020-09-30");
        let input = Some(InputSource {
            measure: InputMeasure::EnterpriseRdExpense,
            figure: InputFigure {
                value_yuan: 1,
                period: Period::Year(2019),
                version: 2,
            },
        });
        let ok = [
            source("enterprise-registry", "2020-09-30", None),
            source("monitoring", "2019-12-31", input),
        ];
        assert_eq!(
            assess_sources(as_of, &ok, &[]),
            (SnapshotStatus::Complete, None)
        );
        let late = [source("enterprise-registry", "2020-10-01", None)];
        let (status, reason) = assess_sources(as_of, &late, &[]);
        assert_eq!(status, SnapshotStatus::Partial);
        assert!(reason.unwrap().contains("2020-10-01 not 2020-09-30"));
        let (status, reason) = assess_sources(
            as_of,
            &ok,
            &["enterprise-registry unreachable (登记库不可用)".to_owned()],
        );
        assert_eq!(status, SnapshotStatus::Partial);
        assert!(reason.unwrap().contains("登记库不可用"));
    }

    #[test]
    fn sources_serialise_with_the_input_version() {
        let input = InputSource {
            measure: InputMeasure::EnterpriseRdExpense,
            figure: InputFigure {
                value_yuan: 10,
                period: Period::Year(2019),
                version: 2,
            },
        };
        let json = serde_json::to_value(source("monitoring", "2019-12-31", Some(input))).unwrap();
        assert_eq!(json["input"]["measure"], "enterprise_rd_expense_yuan");
        assert_eq!(json["input"]["period"], "2019");
        assert_eq!(json["input"]["version"], 2);
        assert_eq!(json["fetched_at"], "2020-10-01T01:02:03.000000Z");
        let plain =
            serde_json::to_value(source("enterprise-registry", "2020-09-30", None)).unwrap();
        assert!(plain.get("input").is_none());
        assert_eq!(
            serde_json::from_value::<Source>(json.clone())
                .unwrap()
                .input
                .unwrap()
                .figure
                .version,
            2
        );
        assert_eq!(Trigger::from_key("scheduled"), Some(Trigger::Scheduled));
        assert_eq!(SnapshotStatus::Partial.key(), "partial");
    }
}
