//! The service's errors: the shared shape ([`ServiceError`]) with this service's rules and
//! words for an absent upstream.

use hte_shared::http_client::UpstreamError;
use hte_shared::i18n::Text;
use hte_shared::service_error::{ServiceError, ServiceErrors};

pub type MonitoringError = ServiceError<Monitoring>;

/// How the monitoring service's errors read.
pub struct Monitoring;

impl ServiceErrors for Monitoring {
    /// Field rules no JSON Schema can state: they weigh a field against another (`as_of` within
    /// the period), against stored records (a plan's period, a figure's versions), against today,
    /// against the contents of an uploaded file, or against where a webhook address resolves.
    /// The document accepts such a request, so refusing it is not "invalid input" (400) but
    /// "well-formed and not processable" (422, declared on each route that can give it). Rule ids
    /// are stable (`errors[].rule`); every other rule is one the document states, and stays 400.
    const RULES_BEYOND_THE_DOCUMENT: &[&str] = &[
        "not_issued",
        "within_period",
        "not_future",
        "within_plan",
        "exists",
        "level",
        "required_for_correction",
        "whole_yuan",
        "max_yuan",
        "not_empty",
        "rows",
        "encoding",
        "csv",
        "xlsx",
        "header",
        "scheme",
        "credentials",
        "fragment",
        "public_address",
        "resolvable",
    ];

    fn upstream_unavailable(error: &UpstreamError) -> Text {
        hte_shared::text!(
            "{error}; nothing was recorded rather than figures of mixed or unknown \
             dates; retry later",
            "上游服务暂不可用（{error}）；为避免记录日期不一或不明的数据，未生成快照，\
             请稍后重试"
        )
    }
}
