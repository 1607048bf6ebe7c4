//! The service's errors: the shared shape ([`ServiceError`]) with this service's rules and
//! words for an absent upstream.

use hte_shared::http_client::UpstreamError;
use hte_shared::i18n::Text;
use hte_shared::service_error::{ServiceError, ServiceErrors};

pub type AllocationError = ServiceError<Allocation>;

/// How the allocation service's errors read.
pub struct Allocation;

impl ServiceErrors for Allocation {
    /// Field rules no JSON Schema can state: they weigh a field against another field of the
    /// request (`not_used`, `required_by_method`, `period`), against stored records (the plan's
    /// indicators, periods, targets and versions, the region tree) or against today's date. The
    /// document accepts such a request, so refusing it is not "invalid input" (400) but "well-formed
    /// and not processable" (422, declared on each route that can give it). Rule ids are stable
    /// (`errors[].rule`); every other rule is one the document states, and stays a 400.
    const RULES_BEYOND_THE_DOCUMENT: &[&str] = &[
        "not_issued",
        "not_in_future",
        "plan_period",
        "period",
        "indicator",
        "splittable",
        "measure",
        "assessable",
        "exists",
        "has_children",
        "child",
        "assessed_region",
        "children_sum",
        "limit",
        "unique",
        "not_used",
        "city_code",
        "current_version",
        "required_by_method",
        "target_set",
        "non_zero",
        "sum",
        "non_negative",
        "positive_weight",
        "apportionment",
        "weights_total",
        "figures_date",
        "ratio_range",
        "ratio_is_share",
        "fits_source",
        "needs_inputs",
        "quantity_only",
        "splittable_counts_only",
        "registry_only",
        "needs_formula",
        "decimals",
    ];

    fn upstream_unavailable(error: &UpstreamError) -> Text {
        hte_shared::text!(
            "the enterprise registry could not answer ({error}); no figures are given \
             rather than wrong ones; retry later",
            "企业库服务暂时无法应答（{error}）；为避免给出错误数据，本次不提供数据，\
             请稍后重试"
        )
    }
}
