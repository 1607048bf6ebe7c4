//! The eight high-tech domains the State supports (国家重点支持的高新技术领域, 2016 annex).

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Main technology domain (技术领域).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TechDomain {
    /// 电子信息
    ElectronicInformation,
    /// 生物与新医药
    BiotechAndNewMedicine,
    /// 航空航天
    Aerospace,
    /// 新材料
    NewMaterials,
    /// 高技术服务
    HighTechServices,
    /// 新能源与节能
    NewEnergyAndEnergySaving,
    /// 资源与环境
    ResourcesAndEnvironment,
    /// 先进制造与自动化
    AdvancedManufacturingAndAutomation,
}

impl TechDomain {
    pub const ALL: [TechDomain; 8] = [
        Self::ElectronicInformation,
        Self::BiotechAndNewMedicine,
        Self::Aerospace,
        Self::NewMaterials,
        Self::HighTechServices,
        Self::NewEnergyAndEnergySaving,
        Self::ResourcesAndEnvironment,
        Self::AdvancedManufacturingAndAutomation,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::ElectronicInformation => "electronic_information",
            Self::BiotechAndNewMedicine => "biotech_and_new_medicine",
            Self::Aerospace => "aerospace",
            Self::NewMaterials => "new_materials",
            Self::HighTechServices => "high_tech_services",
            Self::NewEnergyAndEnergySaving => "new_energy_and_energy_saving",
            Self::ResourcesAndEnvironment => "resources_and_environment",
            Self::AdvancedManufacturingAndAutomation => "advanced_manufacturing_and_automation",
        }
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Self::ElectronicInformation => "电子信息",
            Self::BiotechAndNewMedicine => "生物与新医药",
            Self::Aerospace => "航空航天",
            Self::NewMaterials => "新材料",
            Self::HighTechServices => "高技术服务",
            Self::NewEnergyAndEnergySaving => "新能源与节能",
            Self::ResourcesAndEnvironment => "资源与环境",
            Self::AdvancedManufacturingAndAutomation => "先进制造与自动化",
        }
    }

    pub fn parse(key: &str) -> Result<Self, hte_shared::i18n::Text> {
        Self::ALL
            .into_iter()
            .find(|d| d.key() == key)
            .ok_or_else(|| {
                let keys: Vec<&str> = Self::ALL.iter().map(|d| d.key()).collect();
                let shown = hte_shared::i18n::quote(key);
                hte_shared::text!(
                    "unknown technology domain {shown}; use one of {}",
                    "未知的技术领域 {shown}，请使用以下之一：{}",
                    keys.join(", ")
                )
            })
    }
}

impl fmt::Display for TechDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_serde() {
        for domain in TechDomain::ALL {
            assert_eq!(TechDomain::parse(domain.key()).unwrap(), domain);
            assert_eq!(serde_json::to_value(domain).unwrap(), domain.key());
        }
        assert!(
            TechDomain::parse("software")
                .unwrap_err()
                .contains("electronic_information")
        );
    }
}
