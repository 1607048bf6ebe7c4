//! The dashboard's HTML: one page with inline SVG charts (`render::svg`), a stylesheet the
//! service serves itself, no script and no external asset. Every text is escaped; every
//! figure cell carries its number in `data-value`.

use crate::app::dashboard::{Choice, Dashboard};
use crate::bulletin::text;
use crate::render::escape;
use crate::render::svg::{self, Bar, Point, Progress, Ranking, Series, Tile};

/// The page frame: title, stylesheet, body.
fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/dashboard/assets/dashboard.css\">\
         </head><body>{body}</body></html>\n",
        escape(title)
    )
}

/// The sign-in form; `message` says why it is shown again.
pub fn sign_in(message: Option<&str>) -> String {
    let notice = message
        .map(|m| format!("<p class=\"notice\" role=\"alert\">{}</p>", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "<main class=\"sign-in\"><h1>江苏省高新技术企业培育监测看板</h1>{notice}\
         <form method=\"post\" action=\"/dashboard/session\">\
         <label for=\"token\">访问令牌（Bearer Token）</label>\
         <textarea id=\"token\" name=\"token\" rows=\"4\" required autocomplete=\"off\"></textarea>\
         <button type=\"submit\" id=\"sign-in\">登录</button></form>\
         <p class=\"hint\">令牌只提交一次，保存在仅限本看板使用的 HttpOnly 会话 Cookie 中，\
         有效期与令牌相同；令牌不会出现在网址中。</p></main>"
    );
    document("登录 — 监测看板", &body)
}

fn picker(choices: &[Choice], plan: Option<&str>) -> String {
    let mut html = String::from(
        "<form class=\"picker\" method=\"get\" action=\"/dashboard\">\
         <label for=\"region\">地区</label><select id=\"region\" name=\"region\">",
    );
    for choice in choices {
        html.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            escape(&choice.code),
            if choice.selected { " selected" } else { "" },
            escape(&choice.name)
        ));
    }
    html.push_str("</select>");
    if let Some(plan) = plan {
        html.push_str(&format!(
            "<input type=\"hidden\" name=\"plan\" value=\"{}\">",
            escape(plan)
        ));
    }
    html.push_str("<button type=\"submit\">切换</button></form>");
    html
}

fn sign_out() -> &'static str {
    "<form class=\"sign-out\" method=\"post\" action=\"/dashboard/session/end\">\
     <button type=\"submit\">退出登录</button></form>"
}

/// Before any snapshot: the frame and a notice.
pub fn no_snapshot(choices: &[Choice]) -> String {
    let body = format!(
        "<header><h1>江苏省高新技术企业培育监测看板</h1>{}{}</header>\
         <main><p class=\"notice\">尚无快照：请先生成快照（POST /api/v1/snapshots）或等待定期快照。</p></main>",
        picker(choices, None),
        sign_out()
    );
    document("监测看板", &body)
}

fn num_cell(value: Option<f64>, shown: impl Fn(f64) -> String) -> String {
    match value {
        Some(v) => format!("<td class=\"num\" data-value=\"{v}\">{}</td>", shown(v)),
        None => "<td class=\"num\">—</td>".to_owned(),
    }
}

/// The KPI board: progress bars and a table of every indicator.
fn kpis(d: &Dashboard) -> String {
    let bars: Vec<Progress> = d
        .board
        .items
        .iter()
        .filter_map(|item| {
            Some(Progress {
                key: item.indicator.key.clone(),
                label: item.indicator.name_zh.clone(),
                completion: item.completion?,
                expected: item.expected_completion,
                on_track: item.on_track.unwrap_or(true),
            })
        })
        .collect();
    let mut html = format!(
        "<section id=\"kpi\"><h2>主要指标（虚线为时序进度）</h2><figure class=\"chart\">{}</figure>\
         <table class=\"kpi\"><thead><tr><th>指标</th><th>完成值</th><th>目标值</th><th>完成率</th>\
         <th>时序进度</th><th>环比</th><th>同比</th><th>排名</th></tr></thead><tbody>",
        svg::progress("主要指标完成进度", &bars)
    );
    for item in &d.board.items {
        let unit = item.indicator.unit.as_str();
        let share = unit == "ratio";
        html.push_str(&format!(
            "<tr data-key=\"{}\"><th scope=\"row\">{}</th>",
            escape(&item.indicator.key),
            escape(&item.indicator.name_zh)
        ));
        html.push_str(&num_cell(item.value, |v| text::value_with_unit(v, unit)));
        html.push_str(&num_cell(item.target, |v| text::value_with_unit(v, unit)));
        html.push_str(&num_cell(item.completion, text::percent));
        html.push_str(&num_cell(Some(item.expected_completion), text::percent));
        html.push_str(&num_cell(item.previous.as_ref().map(|c| c.delta), |v| {
            text::signed(v, share)
        }));
        html.push_str(&num_cell(
            item.year_earlier.as_ref().map(|c| c.delta),
            |v| text::signed(v, share),
        ));
        let rank = item.rank.map(|r| format!("{r}/{}", item.ranked_among));
        html.push_str(&format!(
            "<td>{}</td></tr>",
            rank.unwrap_or_else(|| "—".to_owned())
        ));
    }
    html.push_str("</tbody></table></section>");
    html
}

/// The subdivisions: ranked bars and small multiples of completion.
fn regions(d: &Dashboard) -> String {
    let Some(table) = &d.table else {
        return String::new();
    };
    let level = if table.level == hte_shared::regions::RegionLevel::City {
        "各市"
    } else {
        "各县（市、区）"
    };
    let by_completion = table.ranked_by_completion;
    let bars: Vec<Bar> = table
        .rows
        .iter()
        .map(|row| Bar {
            code: row.region_code.clone(),
            label: row.name.clone(),
            value: if by_completion {
                row.reading.completion
            } else {
                row.reading.value.map(|f| f.value)
            },
            on_track: row.reading.on_track,
        })
        .collect();
    let tiles: Vec<Tile> = table
        .rows
        .iter()
        .map(|row| Tile {
            code: row.region_code.clone(),
            label: row.name.clone(),
            completion: row.reading.completion,
            expected: table.expected_completion,
            on_track: row.reading.on_track,
        })
        .collect();
    let name = &table.indicator_name_zh;
    let ranking = Ranking {
        title: format!(
            "{level}{name}{}排名",
            if by_completion { "完成率" } else { "" }
        ),
        percent: by_completion,
        marker: by_completion.then_some(table.expected_completion),
        bars,
    };
    format!(
        "<section id=\"ranking\"><h2>{}</h2><figure class=\"chart\">{}</figure></section>\
         <section id=\"multiples\"><h2>{}</h2><figure class=\"chart\">{}</figure></section>",
        escape(&ranking.title),
        svg::ranking(&ranking),
        escape(&format!("{level}完成情况")),
        svg::small_multiples(&format!("{level}{name}完成率与时序进度"), &tiles),
    )
}

fn trend(d: &Dashboard) -> String {
    let Some(series) = &d.trend else {
        return String::new();
    };
    let chart = Series {
        title: format!("{}变化趋势", series.indicator.name_zh),
        unit: series.indicator.unit.clone(),
        points: series
            .points
            .iter()
            .filter_map(|p| {
                Some(Point {
                    label: p.period.clone(),
                    value: p.value?,
                })
            })
            .collect(),
    };
    format!(
        "<section id=\"trend\"><h2>{}</h2><figure class=\"chart\">{}</figure></section>",
        escape(&chart.title),
        svg::line(&chart)
    )
}

fn alerts(d: &Dashboard) -> String {
    let mut html = String::from("<section id=\"alerts\"><h2>当前预警</h2>");
    if d.alerts.is_empty() {
        html.push_str("<p>当前无预警。</p></section>");
        return html;
    }
    html.push_str(
        "<table><thead><tr><th>级别</th><th>类型</th><th>地区</th><th>内容</th>\
         <th>首次发现（UTC）</th><th>状态</th></tr></thead><tbody>",
    );
    for alert in &d.alerts {
        html.push_str(&format!(
            "<tr class=\"severity-{}\" data-region=\"{}\"><td>{}</td><td>{}</td><td>{}</td>\
             <td class=\"long\">{}</td><td>{}</td><td>{}</td></tr>",
            alert.severity.key(),
            escape(&alert.region_code),
            escape(&alert.severity_name_zh),
            escape(&alert.kind_name_zh),
            escape(&alert.region_name),
            escape(&alert.message_zh),
            alert.first_seen.format("%Y-%m-%d %H:%M"),
            if alert.acknowledgement.is_some() {
                "已知悉"
            } else {
                "未处理"
            },
        ));
    }
    html.push_str("</tbody></table></section>");
    html
}

fn header(d: &Dashboard) -> String {
    let s = &d.board.snapshot;
    let stale = if d.board.stale {
        "<p class=\"notice\">数据源服务暂不可用，以下为最近一次快照的数据，可能已过时。</p>"
    } else {
        ""
    };
    format!(
        "<header><h1>{}高新技术企业培育监测看板</h1>{}{}\
         <p class=\"meta\">规划 {} · 统计期 {} · 数据截至 {} · 第{}版快照，生成于 {} UTC</p>{stale}</header>",
        escape(&d.region_name),
        picker(&d.choices, Some(&d.plan_id)),
        sign_out(),
        escape(&d.plan_id),
        escape(&s.period),
        text::date_zh(s.as_of),
        s.revision,
        s.taken_at.format("%Y-%m-%d %H:%M"),
    )
}

/// The dashboard.
pub fn dashboard(d: &Dashboard) -> String {
    let body = format!(
        "{}<main>{}{}{}{}</main>",
        header(d),
        kpis(d),
        regions(d),
        trend(d),
        alerts(d)
    );
    document(&format!("{} — 监测看板", d.region_name), &body)
}
