//! Declared facts of a firm (申报与评审事实): national S&T awards, standards it led, its clean
//! record and expert scores from a review; recording one, the list, and the withdrawal with a
//! reason.

use actix_web::{get, post};
use chrono::NaiveDate;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::text;
use hte_shared::time::today;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_ending, path_credit_code};
use crate::app::declarations::{self as operations, DeclarationView};
use crate::domain::credit_code::CreditCode;
use crate::domain::dates::{Ending, check_past_date};
use crate::domain::declarations::{Claim, Declaration, DeclarationKind, StandardLevel};
use crate::domain::enterprise::{parse_identifier, prefixed};

/// Body of `POST …/declarations`. Which fields apply depends on `kind`; the others must be
/// absent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeclaration {
    pub kind: DeclarationKind,
    /// The date the fact speaks of, not in the future (日期): the award's date, the standard's
    /// publication, the declaration's date, the incident's date or the review's date.
    pub dated_on: NaiveDate,
    /// Affirms (default) or denies: for `national_award` and `led_standard`, false declares
    /// none in the five years before `dated_on`; for `clean_record`, false records an
    /// accident, violation or listing on `dated_on`. Must not be false for `expert_score`.
    pub holds: Option<bool>,
    /// Award or standard title (名称), 1–200 characters; required when an award or standard
    /// holds.
    #[schema(
        example = "国家科学技术进步奖二等奖",
        min_length = 1,
        max_length = 200,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub title: Option<String>,
    /// Required when a `led_standard` holds.
    pub standard_level: Option<StandardLevel>,
    /// The firm's rank among the award's completing organisations (完成单位排名), 1–99;
    /// required when a `national_award` holds. Only ranks 1–3 qualify directly.
    #[schema(minimum = 1, maximum = 99)]
    pub completer_rank: Option<u32>,
    /// Expert-scored item key of the active rule set, e.g. `ip_advancement`; required for
    /// `expert_score`.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,63}$", example = "ip_advancement")]
    pub score_item: Option<String>,
    /// Points the review gave the item, 0–100 in hundredths, at most the item's maximum;
    /// required for `expert_score`.
    #[schema(minimum = 0, maximum = 100, multiple_of = 0.01)]
    pub points: Option<f64>,
    /// Where the fact comes from (来源), 1–64 characters.
    #[schema(
        example = "国家科学技术奖励工作办公室公告",
        min_length = 1,
        max_length = 64,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub source: String,
}

/// Body of withdrawals (撤回).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// First day it no longer counts (撤回日期).
    pub withdrawn_on: NaiveDate,
    /// Why (撤回原因), 2–500 characters.
    #[schema(
        example = "录入错误",
        min_length = 2,
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*[^\u0000-\u0020\u007F\u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$"
    )]
    pub reason: String,
}

impl Withdrawal {
    fn parse(&self) -> Result<Ending, Problem> {
        parse_ending(("withdrawn_on", self.withdrawn_on), &self.reason, today())
    }
}

/// A title of 1–200 characters without control characters.
fn parse_title(raw: &str) -> Result<String, Problem> {
    let title = raw.trim();
    let chars = title.chars().count();
    if (1..=200).contains(&chars)
        && raw.chars().count() <= 200
        && !title.chars().any(char::is_control)
    {
        Ok(title.to_owned())
    } else {
        Err(Problem::invalid_field(
            "title",
            "length",
            text!(
                "title must be 1–200 characters without control characters",
                "名称须为1至200个字符且不含控制字符"
            ),
        ))
    }
}

/// A field the kind (and `holds`) needs: the document lists the fields of every kind as
/// optional, so a missing one is a 422 (`required_for_kind`), as one present that the kind
/// does not use is (`not_applicable`).
fn required<T: Clone>(field: &str, value: &Option<T>) -> Result<T, Problem> {
    value.clone().ok_or_else(|| {
        Problem::invalid_field(
            field,
            "required_for_kind",
            // Not "is required": contract testers read that as "always required".
            text!(
                "{field} must be given for this kind",
                "此类别须填写 {field}"
            ),
        )
    })
}

/// Hundredths of a point in 0–100.
fn parse_points(points: f64) -> Result<u32, Problem> {
    let centi = (points * 100.0).round();
    let exact = (points * 100.0 - centi).abs() < 1e-6;
    if points.is_finite() && (0.0..=100.0).contains(&points) && exact {
        Ok(centi as u32)
    } else {
        Err(Problem::invalid_field(
            "points",
            "range",
            text!(
                "points must lie in 0–100 in hundredths",
                "评分须在0至100之间，最多两位小数"
            ),
        ))
    }
}

fn parse_score_item(raw: &str) -> Result<String, Problem> {
    let valid = raw.len() <= 64
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(Problem::invalid_field(
            "score_item",
            "pattern",
            text!(
                "score_item must match ^[a-z][a-z0-9_]{{0,63}}$",
                "score_item 须符合 ^[a-z][a-z0-9_]{{0,63}}$"
            ),
        ))
    }
}

impl NewDeclaration {
    /// The fields the kind (and `holds`) uses; any other present is an error.
    fn used_fields(&self, holds: bool) -> &'static [&'static str] {
        match (self.kind, holds) {
            (DeclarationKind::NationalAward, true) => &["title", "completer_rank"],
            (DeclarationKind::LedStandard, true) => &["title", "standard_level"],
            (DeclarationKind::ExpertScore, _) => &["score_item", "points"],
            _ => &[],
        }
    }

    fn check_fields(&self, holds: bool) -> Result<(), Problem> {
        let used = self.used_fields(holds);
        let present = [
            ("title", self.title.is_some()),
            ("standard_level", self.standard_level.is_some()),
            ("completer_rank", self.completer_rank.is_some()),
            ("score_item", self.score_item.is_some()),
            ("points", self.points.is_some()),
        ];
        let errors: Vec<FieldError> = present
            .into_iter()
            .filter(|(field, is)| *is && !used.contains(field))
            .map(|(field, _)| {
                FieldError::new(
                    field,
                    "not_applicable",
                    text!(
                        "{field} does not apply to this kind",
                        "{field} 不适用于此类别"
                    ),
                )
            })
            .collect();
        super::validated(errors)
    }

    fn claim(&self, holds: bool) -> Result<Claim, Problem> {
        Ok(match (self.kind, holds) {
            (DeclarationKind::NationalAward, true) => {
                let rank = required("completer_rank", &self.completer_rank)?;
                if !(1..=99).contains(&rank) {
                    return Err(Problem::invalid_field(
                        "completer_rank",
                        "range",
                        text!("completer_rank must be 1–99", "完成单位排名须为1至99"),
                    ));
                }
                Claim::NationalAward {
                    completer_rank: rank,
                    title: parse_title(&required("title", &self.title)?)?,
                }
            }
            (DeclarationKind::NationalAward, false) => Claim::NoNationalAward,
            (DeclarationKind::LedStandard, true) => Claim::LedStandard {
                level: required("standard_level", &self.standard_level)?,
                title: parse_title(&required("title", &self.title)?)?,
            },
            (DeclarationKind::LedStandard, false) => Claim::NoLedStandard,
            (DeclarationKind::CleanRecord, true) => Claim::CleanRecord,
            (DeclarationKind::CleanRecord, false) => Claim::Incident,
            (DeclarationKind::ExpertScore, true) => Claim::ExpertScore {
                item: parse_score_item(&required("score_item", &self.score_item)?)?,
                centipoints: parse_points(required("points", &self.points)?)?,
            },
            (DeclarationKind::ExpertScore, false) => {
                return Err(Problem::invalid_field(
                    "holds",
                    "expert_score",
                    text!(
                        "an expert score cannot be denied; withdraw it instead",
                        "专家评分不能否定，请撤回"
                    ),
                ));
            }
        })
    }

    fn parse(&self, today: NaiveDate) -> Result<Declaration, Problem> {
        let holds = self.holds.unwrap_or(true);
        self.check_fields(holds)?;
        let mut errors = Vec::new();
        check_past_date("dated_on", self.dated_on, today, &mut errors);
        super::validated(errors)?;
        let source = parse_identifier(&self.source)
            .map_err(|e| Problem::invalid_field("source", "format", prefixed("source", &e)))?;
        Ok(Declaration {
            dated_on: self.dated_on,
            claim: self.claim(holds)?,
            source,
        })
    }
}

fact_create_route! {
    /// Record a declared fact (申报与评审事实): a national S&T award, a standard the firm led, a
    /// clean-record declaration or incident, or an expert review's score of one item. The
    /// assessment reads those in force; who entered it is recorded.
    create_declaration: POST "/enterprises/{credit_code}/declarations",
    tag = "assessment", collection = "declarations",
    NewDeclaration => 201 DeclarationView "Recorded", operations::record,
}

fact_list_route! {
    /// The enterprise's declared facts, by date and id, withdrawn ones included.
    list_declarations: GET "/enterprises/{credit_code}/declarations",
    tag = "assessment", Page<DeclarationView>, operations::list,
}

fact_end_route! {
    /// Withdraw a declared fact (撤回), with a reason; it stops counting from the date given.
    withdraw_declaration: POST "/enterprises/{credit_code}/declarations/{id}/withdraw",
    tag = "assessment",
    params(("id" = String, Path, description = "Declaration id (编号)"))
        as (String, String) => declaration_path,
    Withdrawal => DeclarationView "Withdrawn", operations::withdraw,
}

fn declaration_path((raw_code, id): (String, String)) -> Result<(CreditCode, String), Problem> {
    Ok((path_credit_code(&raw_code)?, id))
}
