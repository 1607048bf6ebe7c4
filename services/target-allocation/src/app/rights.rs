//! Who may change what: plans, publication and assessments are the province's; targets are
//! set and split down the hierarchy.

use hte_shared::auth::{Caller, Role};
use hte_shared::i18n::Text;
use hte_shared::problem::Problem;
use hte_shared::regions::{self, RegionCode};

/// 403 unless the caller may split `parent`'s target among its children: the province
/// splits anything; a city splits only its own share among its counties; counties,
/// auditors and services never write targets.
pub fn require_split_right(caller: &Caller, parent: &RegionCode) -> Result<(), Problem> {
    caller.require_writer()?;
    match caller.role {
        Role::Province => Ok(()),
        Role::City if *parent == caller.region => Ok(()),
        Role::City => Err(Problem::forbidden(hte_shared::text!(
            "a city token for {0} may split only its own share (region {0}) among its counties, \
             not the target of region {parent}",
            "设区市 {0} 的令牌只能将本市的目标（地区 {0}）分解到所辖县（市、区），\
             不能分解地区 {parent} 的目标",
            caller.region
        ))),
        _ => Err(Problem::forbidden(Text::fixed(
            "county officials read targets; the province and the cities set and split them",
            "县级用户只能查看目标；目标由省级和设区市设定并分解",
        ))),
    }
}

/// 403 unless the caller may set `region`'s own target: that is splitting its parent.
pub fn require_set_right(caller: &Caller, region: &RegionCode) -> Result<(), Problem> {
    match regions::find(region).and_then(|r| r.parent) {
        Some(parent) => require_split_right(caller, &parent),
        None => {
            caller.require_writer()?;
            if caller.role == Role::Province {
                Ok(())
            } else {
                Err(Problem::forbidden(Text::fixed(
                    "only the province sets the provincial target",
                    "仅省级用户可设定全省目标",
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hte_shared::testing::caller;

    use super::*;

    #[test]
    fn split_rights_follow_the_hierarchy() {
        let suzhou = RegionCode::parse("320500").unwrap();
        let kunshan = RegionCode::parse("320583").unwrap();
        let nanjing = RegionCode::parse("320100").unwrap();
        assert!(require_set_right(&caller(Role::Province, "320000"), &suzhou).is_ok());
        assert!(require_set_right(&caller(Role::City, "320500"), &kunshan).is_ok());
        assert!(require_set_right(&caller(Role::City, "320500"), &suzhou).is_err());
        assert!(require_split_right(&caller(Role::City, "320500"), &nanjing).is_err());
        assert!(require_set_right(&caller(Role::County, "320583"), &kunshan).is_err());
        assert!(require_set_right(&caller(Role::Auditor, "320000"), &kunshan).is_err());
        assert!(
            require_set_right(
                &caller(Role::City, "320500"),
                &hte_shared::regions::PROVINCE_CODE
            )
            .is_err()
        );
    }
}
