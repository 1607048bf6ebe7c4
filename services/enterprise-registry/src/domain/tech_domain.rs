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
    pub fn parse(key: &str) -> Result<Self, hte_shared::i18n::Text> {
        Self::from_key(key).ok_or_else(|| {
            let shown = hte_shared::i18n::quote(key);
            hte_shared::text!(
                "unknown technology domain {shown}; use one of {}",
                "未知的技术领域 {shown}，请使用以下之一：{}",
                Self::keys()
            )
        })
    }
}

hte_shared::keyed_variants!(TechDomain {
    ElectronicInformation = "electronic_information" => "电子信息",
    BiotechAndNewMedicine = "biotech_and_new_medicine" => "生物与新医药",
    Aerospace = "aerospace" => "航空航天",
    NewMaterials = "new_materials" => "新材料",
    HighTechServices = "high_tech_services" => "高技术服务",
    NewEnergyAndEnergySaving = "new_energy_and_energy_saving" => "新能源与节能",
    ResourcesAndEnvironment = "resources_and_environment" => "资源与环境",
    AdvancedManufacturingAndAutomation = "advanced_manufacturing_and_automation" => "先进制造与自动化",
});

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
        for &domain in TechDomain::ALL {
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
