//! The states of proposals and assessments, and the moves between them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::plan::keyed_enum;

keyed_enum! {
    /// A proposed split's status (分解方案状态).
    ProposalStatus {
        /// 待批准: awaiting acceptance.
        Proposed = "proposed",
        /// 已批准: its shares are in the tree.
        Accepted = "accepted",
        /// 已被替代: another proposal for the same split was accepted.
        Superseded = "superseded",
        /// 已撤回: withdrawn by its proposer.
        Withdrawn = "withdrawn",
        /// 已驳回: rejected by the province.
        Rejected = "rejected",
    }
}

impl ProposalStatus {
    /// The status as an official reads it.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Proposed => "待批准",
            Self::Accepted => "已批准",
            Self::Superseded => "已被替代",
            Self::Withdrawn => "已撤回",
            Self::Rejected => "已驳回",
        }
    }
}

keyed_enum! {
    /// An assessment's status (考核状态).
    AssessmentStatus {
        /// 草稿: the province's alone; figures as computed when created.
        Draft = "draft",
        /// 已发布: frozen, and visible to the regions assessed.
        Published = "published",
    }
}

keyed_enum! {
    /// Which regions an assessment covers (考核层级).
    AssessedLevel {
        /// 设区市: the 13 cities.
        City = "city",
        /// 县(市、区): the counties of one city.
        County = "county",
    }
}

impl ProposalStatus {
    /// Only an open proposal is decided: accepted, superseded, withdrawn or rejected.
    pub fn is_open(self) -> bool {
        self == Self::Proposed
    }
}

keyed_enum! {
    /// How far a city's target is split among its counties (分解状态).
    SplitState {
        /// 未分解: no county has a target.
        NotSplit = "not_split",
        /// 已分解: the counties' targets add up to the city's.
        Split = "split",
        /// 未平衡: counties have targets that do not add up to the city's.
        Unbalanced = "unbalanced",
    }
}

impl SplitState {
    /// The state of a target whose children have `children_sum` over `with_targets` children.
    pub fn of(target: i64, with_targets: usize, children_sum: i64) -> Self {
        match (with_targets, children_sum == target) {
            (0, _) => Self::NotSplit,
            (_, true) => Self::Split,
            (_, false) => Self::Unbalanced,
        }
    }
}
