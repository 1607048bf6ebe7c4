//! How long the lists monitoring answers with in one piece can be. Each bound follows from a
//! rule the services keep, and the OpenAPI document states it as the list's `maxItems`.

use hte_shared::regions::MAX_REGIONS;

use super::period::YEARS;

/// Periods of one kind-mix a year holds: 12 months, 4 quarters and the year itself.
pub const PERIODS_PER_YEAR: usize = 12 + 4 + 1;

/// Most points of a series (`GET /indicators/{key}/series`): one per period, the latest
/// revision of each, and periods lie in the years [`YEARS`] (2000–2100) the parser accepts.
pub const MAX_SERIES_POINTS: usize =
    (*YEARS.end() - *YEARS.start() + 1) as usize * PERIODS_PER_YEAR;

/// Most calendar years a plan period touches (allocation's rule: the last year at most 10
/// after the first).
pub const MAX_PLAN_YEARS: usize = 11;

/// Most published assessments of a plan: allocation publishes one per year and assessed set
/// of regions (the counties of a city, or the cities of the province: one per parent region,
/// of which the region table holds at most `MAX_REGIONS`). The client refuses a longer list
/// rather than cut it.
pub const MAX_PUBLISHED_ASSESSMENTS: usize = MAX_PLAN_YEARS * MAX_REGIONS;

/// Most alerts a bulletin lists: it reads the newest this many alerts of its scope and keeps
/// those in force at the snapshot.
pub const MAX_BULLETIN_ALERTS: usize = 2_000;

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::domain::period::Period;

    #[test]
    fn a_series_has_at_most_one_point_per_period_the_parser_accepts() {
        let mut periods = HashSet::new();
        for year in YEARS {
            periods.insert(Period::parse(&format!("{year}")).unwrap());
            for q in 1..=4 {
                periods.insert(Period::parse(&format!("{year}-Q{q}")).unwrap());
            }
            for m in 1..=12 {
                periods.insert(Period::parse(&format!("{year}-{m:02}")).unwrap());
            }
        }
        assert_eq!(periods.len(), MAX_SERIES_POINTS);
        // Nothing outside those years is a period.
        assert!(Period::parse(&format!("{}", YEARS.start() - 1)).is_err());
        assert!(Period::parse(&format!("{}-12", YEARS.end() + 1)).is_err());
    }

    #[test]
    fn published_assessments_fit_one_per_year_and_parent_region() {
        let parents = hte_shared::regions::all()
            .iter()
            .filter(|r| hte_shared::regions::children(&r.code).next().is_some())
            .count();
        assert!(parents <= MAX_REGIONS);
        assert!(MAX_PLAN_YEARS * parents <= MAX_PUBLISHED_ASSESSMENTS);
        assert_eq!(MAX_PUBLISHED_ASSESSMENTS, 2_200);
    }
}
