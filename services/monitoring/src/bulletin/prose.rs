//! The bulletin's sentences, written from its figures.

use chrono::NaiveDate;
use hte_shared::regions::RegionLevel;

use super::build::BulletinOptions;
use super::model::{
    BulletinAlert, IndicatorLine, LaggingRegion, RegionRef, RegionTable, SnapshotRef,
};
use super::text::{change_words, date_zh, percent, points, value_with_unit};
use crate::domain::alert::Severity;

/// 设区市 or 县（市、区）: what the subdivisions of a level are called.
pub fn level_zh(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => "省",
        RegionLevel::City => "设区市",
        RegionLevel::County => "县（市、区）",
    }
}

/// Sentences that depend on whose bulletin it is.
pub struct Words<'a> {
    scope: &'a RegionRef,
    options: &'a BulletinOptions,
}

impl<'a> Words<'a> {
    pub fn new(scope: &'a RegionRef, options: &'a BulletinOptions) -> Self {
        Self { scope, options }
    }

    /// 全省 for the province, else the region's name.
    fn scope_zh(&self) -> &str {
        if self.scope.level == RegionLevel::Province {
            "全省"
        } else {
            &self.scope.name
        }
    }

    pub fn title(&self, period_zh: &str) -> String {
        format!(
            "关于{period_zh}{}{}进展情况的通报",
            self.scope_zh(),
            self.options.subject
        )
    }

    pub fn addressees(&self) -> String {
        if let Some(given) = &self.options.addressees {
            return given.clone();
        }
        match self.scope.level {
            RegionLevel::Province => "各设区市科技局".to_owned(),
            RegionLevel::City => "各县（市、区）科技主管部门".to_owned(),
            RegionLevel::County => format!("{}有关单位", self.scope.name),
        }
    }

    pub fn introduction(&self, period_zh: &str, as_of: NaiveDate) -> String {
        format!(
            "根据{period_zh}监测数据（截至{}），现将{}{}主要指标进展情况通报如下。",
            date_zh(as_of),
            self.scope_zh(),
            self.options.subject
        )
    }

    /// One paragraph per indicator with lagging subdivisions, or one saying there are none.
    pub fn lagging_summary(
        &self,
        tables: &[RegionTable],
        lagging: &[LaggingRegion],
    ) -> Vec<String> {
        let mut paragraphs = Vec::new();
        for table in tables {
            let behind: Vec<&LaggingRegion> = lagging
                .iter()
                .filter(|l| l.indicator_key == table.indicator_key)
                .collect();
            if behind.is_empty() {
                continue;
            }
            let names: Vec<String> = behind
                .iter()
                .map(|l| {
                    format!(
                        "{}（完成率{}，落后{}个百分点）",
                        l.name,
                        percent(l.completion),
                        points(l.behind_by)
                    )
                })
                .collect();
            paragraphs.push(format!(
                "“{}”：{}个{}落后于时序进度（{}），分别为{}。",
                table.indicator_name_zh,
                behind.len(),
                level_zh(table.level),
                percent(table.expected_completion),
                names.join("、")
            ));
        }
        if paragraphs.is_empty() {
            let level = tables.first().map_or("地区", |t| level_zh(t.level));
            paragraphs.push(format!(
                "本期{}各{level}均达到时序进度要求。",
                self.scope_zh()
            ));
        }
        paragraphs
    }

    pub fn alerts_summary(&self, alerts: &[BulletinAlert]) -> String {
        if alerts.is_empty() {
            return format!("本期{}无预警事项。", self.scope_zh());
        }
        let count = |s: Severity| alerts.iter().filter(|a| a.severity == s).count();
        format!(
            "本期{}共有预警{}条，其中严重{}条、警告{}条、提示{}条。",
            self.scope_zh(),
            alerts.len(),
            count(Severity::Critical),
            count(Severity::Warning),
            count(Severity::Info)
        )
    }
}

/// “高新技术企业总数”为16501家，目标达到30000家，完成率55.00%，时序进度75.00%，落后时序进度20.00个百分点；较上期增加120家，较上年同期增加3001家。
pub fn indicator_sentence(line: &IndicatorLine) -> String {
    let reading = &line.reading;
    let Some(value) = reading.value else {
        let reason = reading.missing_reason.as_deref().unwrap_or("无数据");
        return format!("“{}”本期暂无数据（{reason}）。", line.name_zh);
    };
    let mut text = format!(
        "“{}”为{}",
        line.name_zh,
        value_with_unit(value.value, &line.unit)
    );
    if let Some(target) = reading.target {
        text.push_str(&format!(
            "，目标{}{}",
            line.comparator.name_zh(),
            value_with_unit(target, &line.unit)
        ));
    }
    if let Some(completion) = reading.completion {
        text.push_str(&format!(
            "，完成率{}，时序进度{}",
            percent(completion),
            percent(line.expected_completion)
        ));
    }
    let higher = line.comparator.higher_is_better();
    match (reading.met, reading.on_track, higher) {
        (Some(true), _, true) => text.push_str("，已完成目标"),
        (Some(true), _, false) => text.push_str("，控制在目标以内"),
        (Some(false), _, false) => text.push_str("，超出目标"),
        (_, Some(true), true) => text.push_str("，达到时序进度要求"),
        (_, Some(false), true) => match reading.behind_by {
            Some(behind) => text.push_str(&format!("，落后时序进度{}个百分点", points(behind))),
            None => text.push_str("，未达到时序进度要求"),
        },
        _ => {}
    }
    let mut changes = Vec::new();
    if let Some(change) = reading.change_from_previous {
        changes.push(format!("较上期{}", change_words(change.delta, &line.unit)));
    }
    if let Some(change) = reading.change_from_year_earlier {
        changes.push(format!(
            "较上年同期{}",
            change_words(change.delta, &line.unit)
        ));
    }
    if !changes.is_empty() {
        text.push('；');
        text.push_str(&changes.join("，"));
    }
    text.push('。');
    text
}

/// 按完成率排名，前三位依次为苏州市（92.00%）、…；10个设区市达到时序进度要求，3个落后。
pub fn table_remark(table: &RegionTable) -> String {
    let mut ranked: Vec<_> = table
        .rows
        .iter()
        .filter_map(|r| r.rank.map(|rank| (rank, r)))
        .collect();
    ranked.sort_by_key(|(rank, r)| (*rank, r.region_code.clone()));
    let leaders: Vec<String> = ranked
        .iter()
        .take(3)
        .map(|(_, r)| {
            let figure = if table.ranked_by_completion {
                r.reading.completion.map(percent)
            } else {
                r.reading
                    .value
                    .map(|v| value_with_unit(v.value, &table.unit))
            };
            format!("{}（{}）", r.name, figure.unwrap_or_default())
        })
        .collect();
    let basis = if table.ranked_by_completion {
        "完成率"
    } else {
        "指标值"
    };
    let mut text = if leaders.is_empty() {
        "本期无可排名地区".to_owned()
    } else {
        format!(
            "按{basis}排名，前{}位依次为{}",
            leaders.len(),
            leaders.join("、")
        )
    };
    let on = table
        .rows
        .iter()
        .filter(|r| r.reading.on_track == Some(true))
        .count();
    let off = table
        .rows
        .iter()
        .filter(|r| r.reading.on_track == Some(false))
        .count();
    if on + off > 0 {
        text.push_str(&format!(
            "；{on}个{}达到时序进度要求，{off}个未达到",
            level_zh(table.level)
        ));
    }
    text.push('。');
    text
}

pub fn requirements() -> Vec<String> {
    vec![
        "各地要对照目标任务和时序进度，分析进度滞后的原因，研究落实针对性措施，确保完成全年目标任务。".to_owned(),
        "对本通报所列预警事项，请及时核实情况、督促整改，并在监测系统中确认处理意见。".to_owned(),
    ]
}

pub fn notes(
    snapshot: &SnapshotRef,
    previous: Option<&SnapshotRef>,
    year_earlier: Option<&SnapshotRef>,
) -> Vec<String> {
    let mut notes = vec![
        format!(
            "本通报数据取自{}期监测快照（编号{}，第{}版），数据截至{}。",
            snapshot.period,
            snapshot.id,
            snapshot.revision,
            date_zh(snapshot.as_of)
        ),
        "完成率＝完成值÷目标值；时序进度＝考核期内已过天数÷考核期总天数；比重类指标的变化以百分点计。".to_owned(),
    ];
    let base = |label: &str, earlier: Option<&SnapshotRef>| match earlier {
        Some(e) => format!("{label}与{}期（截至{}）比较。", e.period, date_zh(e.as_of)),
        None => format!("{label}：无可比快照，未计算。"),
    };
    notes.push(format!(
        "{}{}",
        base("环比", previous),
        base("同比", year_earlier)
    ));
    if let Some(reason) = &snapshot.partial_reason {
        notes.push(format!("本期快照数据不完整：{reason}。"));
    }
    notes
}
