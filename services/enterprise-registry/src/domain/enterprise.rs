//! An enterprise's own fields, each parsed from raw input into a value that is already valid.

use chrono::NaiveDate;
use hte_shared::i18n::{Text, quote};
use hte_shared::problem::{FieldError, Problem};
use hte_shared::regions::{self, RegionCode, RegionLevel};
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::credit_code::CreditCode;
use super::dates::check_past_date;
use super::tech_domain::TechDomain;

/// Enterprise name (企业名称): 2–120 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseName(String);

impl EnterpriseName {
    pub fn parse(raw: &str) -> Result<Self, Text> {
        // The document's maxLength counts the name as sent, blanks around it included.
        let name = raw.trim();
        let chars = name.chars().count();
        if !(2..=120).contains(&chars) || raw.chars().count() > 120 {
            return Err(text!(
                "name must have 2 to 120 characters; got {chars}",
                "企业名称须为 2 至 120 个字符，现为 {chars} 个"
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(Text::fixed(
                "name must not contain control characters",
                "企业名称不得包含控制字符",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A county-level Jiangsu division (县级行政区), where an enterprise is located.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountyCode(RegionCode);

impl CountyCode {
    pub fn parse(raw: &str) -> Result<Self, (&'static str, Text)> {
        let code = RegionCode::parse(raw).map_err(|e| ("format", e.text()))?;
        match regions::find(&code) {
            None => Err((
                "jiangsu_division",
                text!(
                    "{code} is not a Jiangsu division code",
                    "{code} 不是江苏省行政区划代码"
                ),
            )),
            Some(region) if region.level != RegionLevel::County => Err((
                "county_level",
                text!(
                    "{code} ({}) is not county-level; give the district, county-level city or county",
                    "{code}（{}）不是县级行政区，请填写区、县级市或县",
                    region.name
                ),
            )),
            Some(_) => Ok(Self(code)),
        }
    }

    pub fn code(&self) -> RegionCode {
        self.0
    }

    /// The prefecture-level city the county belongs to.
    pub fn city(&self) -> RegionCode {
        regions::city_of(&self.0).map_or(self.0, |city| city.code)
    }
}

/// GB/T 4754-2017 industry code (国民经济行业分类): a section letter A–T, optionally followed by
/// a 2-, 3- or 4-digit division/group/class code, or the digits alone (e.g. `C3911`, `3911`, `I65`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndustryCode(String);

impl IndustryCode {
    pub fn parse(raw: &str) -> Result<Self, Text> {
        let code = raw.trim().to_ascii_uppercase();
        let (letter, digits) = match code.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c), &code[1..]),
            _ => (None, code.as_str()),
        };
        let letter_ok = letter.is_none_or(|c| ('A'..='T').contains(&c));
        let digits_ok = digits.bytes().all(|b| b.is_ascii_digit())
            && (if letter.is_some() {
                digits.is_empty() || (2..=4).contains(&digits.len())
            } else {
                (2..=4).contains(&digits.len())
            });
        if letter_ok && digits_ok {
            Ok(Self(code))
        } else {
            let shown = quote(raw);
            Err(text!(
                "{shown} is not a GB/T 4754 industry code (a section letter A–T and/or 2–4 digits, e.g. C3911)",
                "{shown} 不是 GB/T 4754 国民经济行业代码（门类字母 A–T 和/或 2–4 位数字，如 C3911）"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// High-tech zone level (高新区级别) of the enterprise's location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ZoneLevel {
    /// Not in a high-tech zone
    #[default]
    None,
    /// 省级高新区
    Provincial,
    /// 国家级高新区
    National,
}

impl ZoneLevel {
    pub fn key(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Provincial => "provincial",
            Self::National => "national",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::None, Self::Provincial, Self::National]
            .into_iter()
            .find(|z| z.key() == key)
    }
}

/// Listing status (上市状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// 未上市
    #[default]
    Unlisted,
    /// 辅导备案/拟上市 (in listing preparation)
    Preparing,
    /// 已上市
    Listed,
}

impl ListingStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Unlisted => "unlisted",
            Self::Preparing => "preparing",
            Self::Listed => "listed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [Self::Unlisted, Self::Preparing, Self::Listed]
            .into_iter()
            .find(|z| z.key() == key)
    }
}

/// `reason` about the field named `field`, led by its name in both languages.
pub fn prefixed(field: &str, reason: &Text) -> Text {
    Text::new(
        format!("{field} {reason}"),
        format!("{field}{}", reason.zh()),
    )
}

/// A short identifier (zone, carrier): 1–64 visible characters.
pub fn parse_identifier(raw: &str) -> Result<String, Text> {
    let id = raw.trim();
    let chars = id.chars().count();
    // The document's maxLength counts the text as sent, blanks around it included.
    if (1..=64).contains(&chars) && raw.chars().count() <= 64 && !id.chars().any(char::is_control) {
        Ok(id.to_owned())
    } else {
        Err(Text::fixed(
            "must have 1 to 64 characters without control characters",
            "须为 1 至 64 个字符，且不含控制字符",
        ))
    }
}

/// A reason (理由) for an explicit action such as revocation: 2–500 characters, at least
/// two of them besides the surrounding blanks (which are dropped). The document states the
/// same: `minLength: 2`, `maxLength: 500` and a pattern for the two non-blank ends.
pub fn parse_reason(raw: &str) -> Result<String, Text> {
    let reason = raw.trim();
    let chars = reason.chars().count();
    if chars >= 2 && raw.chars().count() <= 500 {
        Ok(reason.to_owned())
    } else {
        Err(text!(
            "a reason of 2 to 500 characters is required; got {chars}",
            "须填写 2 至 500 个字符的理由，现为 {chars} 个"
        ))
    }
}

/// An enterprise's fields, each already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnterpriseFields {
    pub credit_code: CreditCode,
    pub name: EnterpriseName,
    pub county: CountyCode,
    pub registered_on: NaiveDate,
    pub industry_code: IndustryCode,
    pub tech_domain: Option<TechDomain>,
    pub zone_level: ZoneLevel,
    pub zone_id: Option<String>,
    pub above_scale: bool,
    pub carrier_id: Option<String>,
    pub listing_status: ListingStatus,
}

/// Body of `POST /enterprises`. Server-owned fields (status, city_code, version, timestamps)
/// are refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEnterprise {
    /// Unified social credit code (统一社会信用代码): 18 characters with a valid check character.
    #[schema(
        example = "91320583MA1N2P3Q0J",
        pattern = "^[0-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$",
        min_length = 18,
        max_length = 18
    )]
    pub credit_code: String,
    /// Name (企业名称), 2–120 characters.
    #[schema(
        example = "昆山示例智能装备有限公司",
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        min_length = 2,
        max_length = 120
    )]
    pub name: String,
    /// County-level division code (所在县区): a Jiangsu district, county-level city or county.
    #[schema(example = "320583", schema_with = super::region_schemas::county_code)]
    pub region_code: String,
    /// Date of registration (成立日期); not in the future.
    pub registered_on: NaiveDate,
    /// Industry code (国民经济行业分类, GB/T 4754-2017), e.g. `C3491`.
    #[schema(
        example = "C3491",
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([A-Ta-t]([0-9]{2}|[0-9]{3}|[0-9]{4})?|[0-9]{2,4})[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        max_length = 16
    )]
    pub industry_code: String,
    /// Main technology domain (技术领域).
    pub tech_domain: Option<TechDomain>,
    /// High-tech zone level (高新区级别): the level of the zone `zone_id` names; may be left
    /// out (default `none`), and when stated must agree with that zone.
    #[serde(default)]
    pub zone_level: ZoneLevel,
    /// High-tech zone (所在高新区): the id of a zone of `GET /api/v1/zones` lying in the
    /// enterprise's city; required when zone_level is provincial or national.
    #[schema(example = "kunshan-hz", pattern = "^[a-z0-9][a-z0-9-]{1,39}$")]
    pub zone_id: Option<String>,
    /// Above designated size (规模以上).
    #[serde(default)]
    pub above_scale: bool,
    /// Carrier that incubated it (孵化载体): 1–64 characters without control characters
    /// (blanks around it dropped), as `parse_identifier` reads it.
    #[schema(
        max_length = 64,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub carrier_id: Option<String>,
    /// Listing status (上市状态); default `unlisted`.
    #[serde(default)]
    pub listing_status: ListingStatus,
}

/// Body of `PATCH /enterprises/{credit_code}`: only the fields to change. `null` clears an
/// optional field.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u001F\u007F-\u009F\s][^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u001F\u007F-\u009F\s][\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        min_length = 2,
        max_length = 120
    )]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false, schema_with = super::region_schemas::county_code)]
    pub region_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub registered_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(
        nullable = false,
        pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*([A-Ta-t]([0-9]{2}|[0-9]{3}|[0-9]{4})?|[0-9]{2,4})[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$",
        max_length = 16
    )]
    pub industry_code: Option<String>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<TechDomain>)]
    pub tech_domain: Option<Option<TechDomain>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub zone_level: Option<ZoneLevel>,
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>)]
    pub zone_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub above_scale: Option<bool>,
    /// Carrier that incubated it (孵化载体), as in `NewEnterprise`; null clears it.
    #[serde(default, deserialize_with = "hte_shared::json::nullable")]
    #[schema(value_type = Option<String>, max_length = 64, pattern = r"^[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([^\u0000-\u001F\u007F-\u009F]*[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$")]
    pub carrier_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "hte_shared::json::not_null")]
    #[schema(nullable = false)]
    pub listing_status: Option<ListingStatus>,
}

/// Keeps the value a parse gave, or records why it failed.
fn collect<T, E>(
    result: Result<T, E>,
    errors: &mut Vec<FieldError>,
    error: impl FnOnce(E) -> FieldError,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            errors.push(error(e));
            None
        }
    }
}

fn name_error(e: Text) -> FieldError {
    FieldError::new("name", "length", e)
}

fn region_error((rule, message): (&'static str, Text)) -> FieldError {
    FieldError::new("region_code", rule, message)
}

/// An industry code as input: well formed, and in the industries dictionary (stored codes
/// are read with [`IndustryCode::parse`] alone, so a dictionary change never breaks a read).
fn listed_industry(raw: &str) -> Result<IndustryCode, FieldError> {
    let code =
        IndustryCode::parse(raw).map_err(|e| FieldError::new("industry_code", "format", e))?;
    if super::dictionaries::industry_listed(code.as_str()) {
        return Ok(code);
    }
    let shown = hte_shared::i18n::quote(code.as_str());
    Err(FieldError::new(
        "industry_code",
        "dictionary",
        hte_shared::text!(
            "{shown} is not in the industries dictionary (GB/T 4754-2017): see GET /api/v1/dictionaries/industries",
            "{shown} 不在国民经济行业分类（GB/T 4754-2017）代码表 industries 中，见 GET /api/v1/dictionaries/industries"
        ),
    ))
}

/// An optional identifier field (carrier_id): absent, or 1–64 visible characters.
fn parse_optional_identifier(
    field: &str,
    raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let raw = raw?;
    collect(parse_identifier(raw), errors, |e| {
        FieldError::new(field, "format", prefixed(field, &e))
    })
}

/// The zone id a stated zone level allows: none outside a high-tech zone, a zone inside one.
/// A zone id without a level (or with `none`) is fine: the level is the zone's own, which
/// `app::zones::settle_enterprise_zone` looks up; a stated level must then agree with it.
pub fn parse_zone(level: ZoneLevel, raw_id: Option<&str>) -> Result<Option<String>, FieldError> {
    match (level, raw_id) {
        (ZoneLevel::None, None) => Ok(None),
        (_, None) => Err(FieldError::new(
            "zone_id",
            "required_with_level",
            hte_shared::text!(
                // Worded without "is required": contract testers read that phrase as "always
                // required", and zone_id is needed only with a provincial or national zone.
                "zone_id names the high-tech zone; give it when zone_level is provincial or national",
                "高新区级别为省级或国家级时须填写 zone_id（所在高新区编号）"
            ),
        )),
        (_, Some(raw)) => parse_identifier(raw)
            .map(Some)
            .map_err(|e| FieldError::new("zone_id", "format", prefixed("zone_id", &e))),
    }
}

impl NewEnterprise {
    /// Parses every field, reporting every problem at once.
    pub fn parse(&self, today: NaiveDate) -> Result<EnterpriseFields, Problem> {
        let mut errors = Vec::new();
        let credit_code = collect(CreditCode::parse(&self.credit_code), &mut errors, |e| {
            FieldError::new("credit_code", e.rule(), e.text())
        });
        let name = collect(EnterpriseName::parse(&self.name), &mut errors, name_error);
        let county = collect(
            CountyCode::parse(&self.region_code),
            &mut errors,
            region_error,
        );
        check_past_date("registered_on", self.registered_on, today, &mut errors);
        let industry_code = collect(listed_industry(&self.industry_code), &mut errors, |e| e);
        let zone_id = collect(
            parse_zone(self.zone_level, self.zone_id.as_deref()),
            &mut errors,
            |e| e,
        )
        .flatten();
        let carrier_id =
            parse_optional_identifier("carrier_id", self.carrier_id.as_deref(), &mut errors);
        match (credit_code, name, county, industry_code) {
            (Some(credit_code), Some(name), Some(county), Some(industry_code))
                if errors.is_empty() =>
            {
                Ok(EnterpriseFields {
                    credit_code,
                    name,
                    county,
                    registered_on: self.registered_on,
                    industry_code,
                    tech_domain: self.tech_domain,
                    zone_level: self.zone_level,
                    zone_id,
                    above_scale: self.above_scale,
                    carrier_id,
                    listing_status: self.listing_status,
                })
            }
            _ => Err(Problem::validation(errors)),
        }
    }
}

impl EnterprisePatch {
    /// `current` with the patch's fields parsed and applied; every problem is reported at once.
    pub fn apply(
        &self,
        current: &EnterpriseFields,
        today: NaiveDate,
    ) -> Result<EnterpriseFields, Problem> {
        let mut errors = Vec::new();
        let mut next = current.clone();
        if let Some(raw) = &self.name
            && let Some(name) = collect(EnterpriseName::parse(raw), &mut errors, name_error)
        {
            next.name = name;
        }
        if let Some(raw) = &self.region_code
            && let Some(county) = collect(CountyCode::parse(raw), &mut errors, region_error)
        {
            next.county = county;
        }
        if let Some(date) = self.registered_on {
            check_past_date("registered_on", date, today, &mut errors);
            next.registered_on = date;
        }
        if let Some(raw) = &self.industry_code
            && let Some(code) = collect(listed_industry(raw), &mut errors, |e| e)
        {
            next.industry_code = code;
        }
        if let Some(domain) = self.tech_domain {
            next.tech_domain = domain;
        }
        // A new zone without a stated level takes the zone's level (settled in `app`).
        next.zone_level = match (self.zone_level, &self.zone_id) {
            (Some(level), _) => level,
            (None, Some(_)) => ZoneLevel::None,
            (None, None) => current.zone_level,
        };
        let zone_id = match (&self.zone_id, self.zone_level) {
            (Some(id), _) => id.as_deref(),
            // Leaving a zone drops the zone id unless the patch names one.
            (None, Some(ZoneLevel::None)) => None,
            (None, _) => current.zone_id.as_deref(),
        };
        if let Some(id) = collect(parse_zone(next.zone_level, zone_id), &mut errors, |e| e) {
            next.zone_id = id;
        }
        if let Some(above) = self.above_scale {
            next.above_scale = above;
        }
        if let Some(carrier) = &self.carrier_id {
            next.carrier_id =
                parse_optional_identifier("carrier_id", carrier.as_deref(), &mut errors);
        }
        if let Some(status) = self.listing_status {
            next.listing_status = status;
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(Problem::validation(errors))
        }
    }
}

impl EnterpriseFields {
    /// These fields with each optional one whose column a file lacks taken from `stored`: a
    /// column left out of a file means "keep", never "clear". (Field and column names agree.)
    pub fn keeping_absent(
        mut self,
        stored: &EnterpriseFields,
        present: &[&str],
    ) -> Result<Self, FieldError> {
        let absent = |column: &str| !present.contains(&column);
        if absent("tech_domain") {
            self.tech_domain = stored.tech_domain;
        }
        if absent("zone_level") {
            // A file naming a zone but no level takes the zone's level (settled in `app`).
            self.zone_level = if absent("zone_id") {
                stored.zone_level
            } else {
                ZoneLevel::None
            };
        }
        if absent("zone_id") {
            self.zone_id.clone_from(&stored.zone_id);
        }
        if absent("above_scale") {
            self.above_scale = stored.above_scale;
        }
        if absent("carrier_id") {
            self.carrier_id.clone_from(&stored.carrier_id);
        }
        if absent("listing_status") {
            self.listing_status = stored.listing_status;
        }
        // The merge may pair a zone level from one side with a zone id from the other.
        self.zone_id = parse_zone(self.zone_level, self.zone_id.as_deref())?;
        Ok(self)
    }
}

/// The earliest facts recorded for an enterprise, which its registration may not follow.
#[derive(Debug, Default)]
pub struct EarliestFacts {
    pub report_year: Option<i32>,
    pub pool_entered_on: Option<NaiveDate>,
    pub certificate_issued_on: Option<NaiveDate>,
}

impl EarliestFacts {
    /// Why a registration moved to `registered_on` would contradict them or a deregistration,
    /// if it would (the rules the creating operations apply: reports from the registration year
    /// on, entries and certificates from the registration date on).
    pub fn contradiction(
        &self,
        registered_on: NaiveDate,
        deregistered_on: Option<NaiveDate>,
    ) -> Option<Text> {
        use chrono::Datelike;
        if deregistered_on.is_some_and(|d| d < registered_on) {
            return Some(Text::fixed(
                "the enterprise was deregistered before it",
                "企业在该日期之前已注销",
            ));
        }
        if let Some(year) = self.report_year.filter(|y| *y < registered_on.year()) {
            return Some(text!(
                "an annual report for {year} is recorded",
                "已有 {year} 年度的年报记录"
            ));
        }
        if let Some(date) = self.pool_entered_on.filter(|d| *d < registered_on) {
            return Some(text!(
                "a pool entry from {date} is recorded",
                "已有 {date} 入库的培育库记录"
            ));
        }
        if let Some(date) = self.certificate_issued_on.filter(|d| *d < registered_on) {
            return Some(text!(
                "a certificate issued on {date} is recorded",
                "已有 {date} 颁发的高新技术企业证书记录"
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_counties_and_industries() {
        assert!(EnterpriseName::parse(" 苏州某某科技有限公司 ").is_ok());
        assert!(EnterpriseName::parse("x").is_err());
        assert!(EnterpriseName::parse(&"字".repeat(121)).is_err());
        assert!(EnterpriseName::parse("a\u{0}b").is_err());

        let kunshan = CountyCode::parse("320583").unwrap();
        assert_eq!(kunshan.city().to_string(), "320500");
        assert_eq!(CountyCode::parse("320500").unwrap_err().0, "county_level");
        assert_eq!(
            CountyCode::parse("110101").unwrap_err().0,
            "jiangsu_division"
        );
        assert_eq!(CountyCode::parse("3205").unwrap_err().0, "format");

        for ok in ["C3911", "3911", "c39", "I", "65", "I651"] {
            assert!(IndustryCode::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["Z3911", "C39111", "3", "C3X", ""] {
            assert!(IndustryCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(IndustryCode::parse("c3911").unwrap().as_str(), "C3911");
    }
}
