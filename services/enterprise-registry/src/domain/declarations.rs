//! Declared facts of a firm (申报与评审事实): national S&T awards, standards it led the drafting
//! of, its clean-record declaration and expert scores entered after a review. Registry data
//! cannot show these, so each is dated, names its source and who entered it, and counts only
//! within the period the rules look at.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a declaration states (申报事实类别).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationKind {
    /// 国家科学技术奖: a national S&T award (`holds`: won one, with the firm's rank among the
    /// completing organisations; otherwise: declares none in the five years before the date).
    NationalAward,
    /// 主导制定标准: led the drafting of an international, national or industry standard
    /// (`holds`: one published on the date; otherwise: declares none in the five years before).
    LedStandard,
    /// 无重大安全、质量事故和严重环境违法行为 (`holds`: declares a clean record up to the date;
    /// otherwise: an accident, violation or listing happened on the date).
    CleanRecord,
    /// 专家评分: one expert-scored item of the innovation score, entered after a review.
    ExpertScore,
}

impl DeclarationKind {
    pub const ALL: [DeclarationKind; 4] = [
        Self::NationalAward,
        Self::LedStandard,
        Self::CleanRecord,
        Self::ExpertScore,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::NationalAward => "national_award",
            Self::LedStandard => "led_standard",
            Self::CleanRecord => "clean_record",
            Self::ExpertScore => "expert_score",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// Level of a standard (标准级别); all three qualify under 115号 Art. 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StandardLevel {
    /// 国际标准
    International,
    /// 国家标准
    National,
    /// 行业标准
    Industry,
}

impl StandardLevel {
    pub fn key(self) -> &'static str {
        match self {
            Self::International => "international",
            Self::National => "national",
            Self::Industry => "industry",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::International, Self::National, Self::Industry]
            .into_iter()
            .find(|l| l.key() == key)
    }
}

/// What one declaration states, already valid.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Won a national S&T award, ranked `completer_rank` among the completing organisations.
    NationalAward { completer_rank: u32, title: String },
    /// Declares no national S&T award in the five years before the date.
    NoNationalAward,
    /// Led the drafting of a standard published on the date.
    LedStandard { level: StandardLevel, title: String },
    /// Declares no led standard in the five years before the date.
    NoLedStandard,
    /// Declares a clean record up to the date.
    CleanRecord,
    /// An accident, serious violation or listing on the date.
    Incident,
    /// Points an expert review gave one expert-scored item, in hundredths of a point.
    ExpertScore { item: String, centipoints: u32 },
}

impl Claim {
    pub fn kind(&self) -> DeclarationKind {
        match self {
            Self::NationalAward { .. } | Self::NoNationalAward => DeclarationKind::NationalAward,
            Self::LedStandard { .. } | Self::NoLedStandard => DeclarationKind::LedStandard,
            Self::CleanRecord | Self::Incident => DeclarationKind::CleanRecord,
            Self::ExpertScore { .. } => DeclarationKind::ExpertScore,
        }
    }

    /// Whether the claim affirms (won, led, clean, scored) rather than denies.
    pub fn holds(&self) -> bool {
        !matches!(
            self,
            Self::NoNationalAward | Self::NoLedStandard | Self::Incident
        )
    }
}

/// A declaration in force: what it states and the date it speaks of.
#[derive(Debug, Clone, PartialEq)]
pub struct Declaration {
    pub dated_on: NaiveDate,
    pub claim: Claim,
    /// Where it comes from (来源), 1–64 characters.
    pub source: String,
}

/// 115号 Art. 8 (2)/(4): awards and standards of the last five years qualify directly.
pub const DIRECT_ROUTE_YEARS: u32 = 5;
/// 115号 Art. 8 (2): the firm ranks among the first three completing organisations.
pub const AWARD_TOP_RANK: u32 = 3;
/// How long a declaration of absence, a clean-record declaration or a review's scores stay
/// current: one year, the HTE rule's "申请认定前一年内" and one application cycle.
pub const CURRENT_MONTHS: u32 = 12;

/// What the declarations establish on an assessment date; `None` where nothing current says.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DeclaredFacts {
    /// A national S&T award as one of the first three completers in the last five years.
    pub national_award: Option<bool>,
    /// Led an international, national or industry standard in the last five years.
    pub led_standard: Option<bool>,
    /// Expert-scored items a review scored in the last year: key → points.
    pub expert_scores: BTreeMap<String, f64>,
}

/// Whether `date` lies within `months` before `as_of`: `as_of - months < date <= as_of`.
fn within(date: NaiveDate, as_of: NaiveDate, months: u32) -> bool {
    let start = as_of.checked_sub_months(Months::new(months));
    date <= as_of && start.is_none_or(|start| date > start)
}

/// A direct-route fact: true when a qualifying record falls in the last five years, false when
/// a current declaration of absence says there is none, unknown otherwise.
fn direct_route_fact(
    declarations: &[Declaration],
    as_of: NaiveDate,
    qualifies: impl Fn(&Claim) -> bool,
    denies: impl Fn(&Claim) -> bool,
) -> Option<bool> {
    let recent = |d: &&Declaration, months| within(d.dated_on, as_of, months);
    if declarations
        .iter()
        .any(|d| recent(&d, DIRECT_ROUTE_YEARS * 12) && qualifies(&d.claim))
    {
        Some(true)
    } else if declarations
        .iter()
        .any(|d| recent(&d, CURRENT_MONTHS) && denies(&d.claim))
    {
        Some(false)
    } else {
        None
    }
}

/// The clean record on `as_of`: false when an incident falls in the previous calendar year or
/// since (the tech-SME period of 115号 Art. 6 (4), which contains the HTE rule's one year);
/// true when a clean-record declaration was made in the last year; unknown otherwise.
pub fn clean_record(declarations: &[Declaration], as_of: NaiveDate) -> Option<bool> {
    use chrono::Datelike;
    let period_start = NaiveDate::from_ymd_opt(as_of.year() - 1, 1, 1).unwrap_or(NaiveDate::MIN);
    let incident = declarations
        .iter()
        .any(|d| d.claim == Claim::Incident && d.dated_on >= period_start && d.dated_on <= as_of);
    if incident {
        return Some(false);
    }
    declarations
        .iter()
        .any(|d| d.claim == Claim::CleanRecord && within(d.dated_on, as_of, CURRENT_MONTHS))
        .then_some(true)
}

/// What the declarations establish on `as_of`.
pub fn declared_facts(declarations: &[Declaration], as_of: NaiveDate) -> DeclaredFacts {
    let national_award = direct_route_fact(
        declarations,
        as_of,
        |c| matches!(c, Claim::NationalAward { completer_rank, .. } if *completer_rank <= AWARD_TOP_RANK),
        |c| *c == Claim::NoNationalAward,
    );
    let led_standard = direct_route_fact(
        declarations,
        as_of,
        |c| matches!(c, Claim::LedStandard { .. }),
        |c| *c == Claim::NoLedStandard,
    );
    // The latest review's score of each item counts.
    let mut latest: BTreeMap<String, (NaiveDate, u32)> = BTreeMap::new();
    for d in declarations {
        if let Claim::ExpertScore { item, centipoints } = &d.claim {
            if within(d.dated_on, as_of, CURRENT_MONTHS)
                && latest.get(item).is_none_or(|(on, _)| *on <= d.dated_on)
            {
                latest.insert(item.clone(), (d.dated_on, *centipoints));
            }
        }
    }
    DeclaredFacts {
        national_award,
        led_standard,
        expert_scores: latest
            .into_iter()
            .map(|(item, (_, centi))| (item, f64::from(centi) / 100.0))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn on(date: &str, claim: Claim) -> Declaration {
        Declaration {
            dated_on: d(date),
            claim,
            source: "测试".to_owned(),
        }
    }

    fn award(rank: u32) -> Claim {
        Claim::NationalAward {
            completer_rank: rank,
            title: "国家科学技术进步奖二等奖".to_owned(),
        }
    }

    #[test]
    fn awards_count_in_the_last_five_years_among_the_first_three() {
        let as_of = "2026-06-01";
        // (declarations, national_award)
        let cases: Vec<(Vec<Declaration>, Option<bool>)> = vec![
            (vec![], None),
            (vec![on("2021-06-02", award(3))], Some(true)),
            // Exactly five years before: outside "the last five years".
            (vec![on("2021-06-01", award(1))], None),
            (vec![on("2024-01-01", award(4))], None),
            (vec![on("2026-06-02", award(1))], None),
            (vec![on("2025-06-02", Claim::NoNationalAward)], Some(false)),
            // A declaration of absence is current for one year.
            (vec![on("2025-06-01", Claim::NoNationalAward)], None),
            // A record beats an older declaration of absence.
            (
                vec![
                    on("2025-07-01", Claim::NoNationalAward),
                    on("2026-03-01", award(2)),
                ],
                Some(true),
            ),
        ];
        for (declarations, expected) in cases {
            assert_eq!(
                declared_facts(&declarations, d(as_of)).national_award,
                expected,
                "{declarations:?}"
            );
        }
    }

    #[test]
    fn led_standards_of_any_level_count_for_five_years() {
        let standard = |level| Claim::LedStandard {
            level,
            title: "GB/T 00000-2024".to_owned(),
        };
        for level in [
            StandardLevel::International,
            StandardLevel::National,
            StandardLevel::Industry,
        ] {
            let facts = declared_facts(&[on("2024-03-01", standard(level))], d("2026-06-01"));
            assert_eq!(facts.led_standard, Some(true), "{level:?}");
        }
        let old = declared_facts(
            &[on("2020-03-01", standard(StandardLevel::National))],
            d("2026-06-01"),
        );
        assert_eq!(old.led_standard, None);
    }

    #[test]
    fn clean_record_needs_a_current_declaration_and_no_incident() {
        let as_of = "2026-06-01";
        let cases: Vec<(Vec<Declaration>, Option<bool>)> = vec![
            (vec![], None),
            (vec![on("2025-06-02", Claim::CleanRecord)], Some(true)),
            (vec![on("2025-06-01", Claim::CleanRecord)], None),
            // An incident in the previous calendar year outweighs a later declaration.
            (
                vec![
                    on("2025-01-01", Claim::Incident),
                    on("2026-05-01", Claim::CleanRecord),
                ],
                Some(false),
            ),
            (
                vec![
                    on("2024-12-31", Claim::Incident),
                    on("2026-05-01", Claim::CleanRecord),
                ],
                Some(true),
            ),
        ];
        for (declarations, expected) in cases {
            assert_eq!(
                clean_record(&declarations, d(as_of)),
                expected,
                "{declarations:?}"
            );
        }
    }

    #[test]
    fn the_latest_current_review_scores_each_item() {
        let score = |item: &str, centipoints| Claim::ExpertScore {
            item: item.to_owned(),
            centipoints,
        };
        let facts = declared_facts(
            &[
                on("2026-03-01", score("ip_advancement", 600)),
                on("2026-05-01", score("ip_advancement", 750)),
                on("2025-05-01", score("ip_core_support", 800)),
                on("2026-05-01", score("rd_management_system", 550)),
            ],
            d("2026-06-01"),
        );
        let expected: BTreeMap<String, f64> = [
            ("ip_advancement".to_owned(), 7.5),
            ("rd_management_system".to_owned(), 5.5),
        ]
        .into();
        assert_eq!(facts.expert_scores, expected);
    }
}
