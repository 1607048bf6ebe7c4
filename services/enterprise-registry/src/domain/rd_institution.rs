//! Level of the firm's recognised R&D institution (研发机构级别), as filed in an annual report.
//!
//! The variants are ordered from no institution up to national level, so `Ord` compares levels.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Highest recognised R&D institution the firm has (研发机构).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RdInstitution {
    /// 无研发机构
    None,
    /// 企业级研发机构
    Enterprise,
    /// 市级研发机构
    Municipal,
    /// 省级研发机构
    Provincial,
    /// 国家级研发机构
    National,
}

impl RdInstitution {
    pub fn parse(key: &str) -> Result<Self, hte_shared::i18n::Text> {
        Self::from_key(key).ok_or_else(|| {
            let shown = hte_shared::i18n::quote(key);
            hte_shared::text!(
                "unknown R&D institution level {shown}; use one of {}",
                "未知的研发机构级别 {shown}，请使用以下之一：{}",
                Self::keys()
            )
        })
    }

    /// Provincial/ministerial level or above: the tech-SME direct route (and the innovative-SME
    /// one) accept these.
    pub fn is_provincial_or_higher(self) -> bool {
        self >= Self::Provincial
    }
}

hte_shared::keyed_variants!(RdInstitution {
    None = "none" => "无研发机构",
    Enterprise = "enterprise" => "企业级研发机构",
    Municipal = "municipal" => "市级研发机构",
    Provincial = "provincial" => "省级研发机构",
    National = "national" => "国家级研发机构",
});

impl fmt::Display for RdInstitution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_serde() {
        for &level in RdInstitution::ALL {
            assert_eq!(RdInstitution::parse(level.key()).unwrap(), level);
            assert_eq!(serde_json::to_value(level).unwrap(), level.key());
            let back: RdInstitution = serde_json::from_value(level.key().into()).unwrap();
            assert_eq!(back, level);
            assert_eq!(level.to_string(), level.key());
            assert!(!level.name_zh().is_empty());
        }
        let err = RdInstitution::parse("county").unwrap_err();
        for key in ["none", "enterprise", "municipal", "provincial", "national"] {
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn provincial_or_higher() {
        let expected = [
            (RdInstitution::None, false),
            (RdInstitution::Enterprise, false),
            (RdInstitution::Municipal, false),
            (RdInstitution::Provincial, true),
            (RdInstitution::National, true),
        ];
        for (level, want) in expected {
            assert_eq!(level.is_provincial_or_higher(), want, "{level}");
        }
        assert!(RdInstitution::National > RdInstitution::Provincial);
    }
}
