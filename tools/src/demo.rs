//! A small, realistic demo registry for `cargo run`: firms across several cities with three
//! to five years of reports, pool entries, certificates and labels. Deterministic, written
//! through the registry's own operations (the API's rules, rows and audit log) by a province
//! official of the system, and only into an empty registry.

use chrono::{Datelike, NaiveDate};
use enterprise_registry::app::incubations::Incubation;
use enterprise_registry::app::{
    annual_reports, carriers, certificates, enterprises, incubations, labels, pool_entries, zones,
};
use enterprise_registry::domain::annual_report::ReportFigures;
use enterprise_registry::domain::carriers::{CarrierId, CarrierKind, CarrierLevel, NewCarrier};
use enterprise_registry::domain::certificates::{Certificate, CertificateNo};
use enterprise_registry::domain::credit_code::{CreditCode, check_character};
use enterprise_registry::domain::dates::Ending;
use enterprise_registry::domain::enterprise::{ListingStatus, NewEnterprise, ZoneLevel};
use enterprise_registry::domain::labels::{Label, LabelKind, LabelLevel};
use enterprise_registry::domain::pool_entries::PoolEntry;
use enterprise_registry::domain::rd_institution::RdInstitution;
use enterprise_registry::domain::tech_domain::TechDomain;
use enterprise_registry::domain::zones::{NewZone, ZoneRank};
use enterprise_registry::error::RegistryError;
use hte_shared::audit::Actor;
use hte_shared::auth::{Caller, Role};
use hte_shared::db::{Db, DbConnection};
use hte_shared::regions::PROVINCE_CODE;
use hte_shared::time::today;

/// (name, county, domain, (zone id, level), stage) — stage: 0 registered, 1 pool, 2 HTE, 3 HTE with labels.
type DemoFirm = (
    &'static str,
    &'static str,
    TechDomain,
    Option<(&'static str, ZoneLevel)>,
    u8,
);

const FIRMS: &[DemoFirm] = &[
    (
        "南京星联智能科技有限公司",
        "320115",
        TechDomain::ElectronicInformation,
        Some(("nanjing-hz", ZoneLevel::National)),
        3,
    ),
    (
        "南京鼓楼云图软件有限公司",
        "320106",
        TechDomain::ElectronicInformation,
        None,
        2,
    ),
    (
        "南京浦口新材科技有限公司",
        "320111",
        TechDomain::NewMaterials,
        Some(("nanjing-hz", ZoneLevel::National)),
        1,
    ),
    (
        "南京栖霞环保装备有限公司",
        "320113",
        TechDomain::ResourcesAndEnvironment,
        None,
        0,
    ),
    (
        "无锡锡山微电子有限公司",
        "320205",
        TechDomain::ElectronicInformation,
        Some(("wuxi-hz", ZoneLevel::National)),
        3,
    ),
    (
        "无锡惠山精工机械有限公司",
        "320206",
        TechDomain::AdvancedManufacturingAndAutomation,
        None,
        2,
    ),
    (
        "江阴海澜新能源科技有限公司",
        "320281",
        TechDomain::NewEnergyAndEnergySaving,
        None,
        1,
    ),
    (
        "徐州鼓楼工程机械科技有限公司",
        "320302",
        TechDomain::AdvancedManufacturingAndAutomation,
        Some(("xuzhou-hz", ZoneLevel::National)),
        2,
    ),
    (
        "徐州睢宁生物农业有限公司",
        "320324",
        TechDomain::BiotechAndNewMedicine,
        None,
        0,
    ),
    (
        "常州武进石墨烯材料有限公司",
        "320412",
        TechDomain::NewMaterials,
        Some(("wujin-hz", ZoneLevel::National)),
        3,
    ),
    (
        "常州新北光伏科技有限公司",
        "320411",
        TechDomain::NewEnergyAndEnergySaving,
        Some(("changzhou-hz", ZoneLevel::National)),
        2,
    ),
    (
        "昆山示例智能装备有限公司",
        "320583",
        TechDomain::AdvancedManufacturingAndAutomation,
        Some(("kunshan-hz", ZoneLevel::National)),
        3,
    ),
    (
        "苏州工业园区纳米生物有限公司",
        "320576",
        TechDomain::BiotechAndNewMedicine,
        Some(("suzhou-sip", ZoneLevel::National)),
        2,
    ),
    (
        "张家港沙洲新材料有限公司",
        "320582",
        TechDomain::NewMaterials,
        Some(("zhangjiagang-hz", ZoneLevel::Provincial)),
        1,
    ),
    (
        "常熟虞山检测技术服务有限公司",
        "320581",
        TechDomain::HighTechServices,
        None,
        1,
    ),
    (
        "太仓港航智慧物流科技有限公司",
        "320585",
        TechDomain::HighTechServices,
        None,
        0,
    ),
    (
        "南通崇川海工装备有限公司",
        "320613",
        TechDomain::AdvancedManufacturingAndAutomation,
        Some(("nantong-hz", ZoneLevel::National)),
        2,
    ),
    (
        "连云港海州医药科技有限公司",
        "320706",
        TechDomain::BiotechAndNewMedicine,
        Some(("lianyungang-hz", ZoneLevel::National)),
        1,
    ),
    (
        "盐城亭湖风电科技有限公司",
        "320902",
        TechDomain::NewEnergyAndEnergySaving,
        None,
        1,
    ),
    (
        "扬州邗江航空部件有限公司",
        "321003",
        TechDomain::Aerospace,
        None,
        2,
    ),
    (
        "镇江丹阳光学材料有限公司",
        "321181",
        TechDomain::NewMaterials,
        None,
        0,
    ),
    (
        "泰州医药城生物制品有限公司",
        "321204",
        TechDomain::BiotechAndNewMedicine,
        Some(("taizhou-pharma-hz", ZoneLevel::National)),
        3,
    ),
    (
        "宿迁宿城电子信息有限公司",
        "321302",
        TechDomain::ElectronicInformation,
        None,
        1,
    ),
];

/// Deterministic pseudo-random numbers (no dependency, same data on every machine).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % ((high - low + 1) as u64)) as i64
    }
}

/// A demo value the seed should have made valid and did not: a bug in this file.
fn bad_demo_data(what: impl std::fmt::Display) -> RegistryError {
    RegistryError::internal("invalid demo data", what)
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate, RegistryError> {
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| bad_demo_data(format!("{year}-{month}-{day}")))
}

/// Who seeds: the system, with a province official's rights, so every write passes the same
/// authorisation as anyone's.
struct Seeder {
    caller: Caller,
    actor: Actor,
    this_year: i32,
}

/// Seeds the demo registry unless it already holds enterprises. Returns how many were added.
pub async fn seed_if_empty(db: &Db) -> Result<usize, RegistryError> {
    db.write(|conn| {
        if enterprises::any_registered(conn)? {
            return Ok(0);
        }
        let seeder = Seeder {
            caller: Caller {
                subject: "system:demo-data".to_owned(),
                role: Role::Province,
                region: PROVINCE_CODE,
            },
            actor: Actor::system("demo-data"),
            this_year: today().year(),
        };
        seeder.provincial_zones(conn)?;
        seeder.carriers(conn)?;
        let mut rng = Lcg(201_957);
        for (index, firm) in FIRMS.iter().enumerate() {
            seeder.firm(conn, &mut rng, index, firm)?;
        }
        Ok::<_, RegistryError>(FIRMS.len())
    })
    .await
}

/// Provincial zones the demo firms name (the national ones are seeded by the migration).
const PROVINCIAL_ZONES: &[(&str, &str, &str, &str)] = &[(
    "zhangjiagang-hz",
    "张家港高新技术产业开发区",
    "张家港高新区",
    "320582",
)];

/// Carriers: (id, name, kind, county, zone). Each incubates the demo firms of its county, or
/// those of its city when it is the city's first, so the ranking has carriers of every size.
const CARRIERS: &[(&str, &str, CarrierKind, &str, Option<&str>)] = &[
    (
        "sip-bio-incubator",
        "苏州工业园区生物医药孵化器",
        CarrierKind::Incubator,
        "320576",
        Some("suzhou-sip"),
    ),
    (
        "kunshan-sci-incubator",
        "昆山市科技创业孵化器",
        CarrierKind::Incubator,
        "320583",
        Some("kunshan-hz"),
    ),
    (
        "nanjing-maker-space",
        "南京江宁众创空间",
        CarrierKind::MakerSpace,
        "320115",
        None,
    ),
    (
        "wuxi-xishan-incubator",
        "无锡锡山科技企业孵化器",
        CarrierKind::Incubator,
        "320205",
        None,
    ),
    (
        "wujin-incubator",
        "常州武进科技企业孵化器",
        CarrierKind::Incubator,
        "320412",
        Some("wujin-hz"),
    ),
    (
        "suining-star-maker",
        "徐州睢宁星创天地",
        CarrierKind::StarMakerSpace,
        "320324",
        None,
    ),
    (
        "taizhou-pharma-park",
        "泰州医药城大学科技园",
        CarrierKind::UniversitySciencePark,
        "321204",
        Some("taizhou-pharma-hz"),
    ),
];

/// The carrier that incubated a firm of `county`: the one of its county, else its city's first.
fn carrier_of(county: &str) -> Option<&'static str> {
    let in_county = CARRIERS.iter().find(|c| c.3 == county);
    let in_city = || CARRIERS.iter().find(|c| c.3[..4] == county[..4]);
    in_county.or_else(in_city).map(|c| c.0)
}

impl Seeder {
    fn carriers(&self, conn: &mut DbConnection) -> Result<(), RegistryError> {
        for (index, &(id, name, kind, county, zone)) in CARRIERS.iter().enumerate() {
            let first17 = format!("52{county}MJ{:07}", 4_000_000 + index * 104_729);
            let check = check_character(&first17).ok_or_else(|| bad_demo_data(&first17))?;
            let carrier = NewCarrier {
                id: id.to_owned(),
                name: name.to_owned(),
                kind,
                level: CarrierLevel::Provincial,
                region_code: county.to_owned(),
                zone_id: zone.map(str::to_owned),
                operator_credit_code: format!("{first17}{check}"),
                recognition_year: self.this_year - 6,
            }
            .parse(today())?;
            carriers::create(conn, &self.caller, &self.actor, &carrier)?;
        }
        Ok(())
    }

    /// Every demo firm with a carrier in its city was incubated there from three years ago;
    /// every other one has graduated since.
    fn incubation(
        &self,
        conn: &mut DbConnection,
        code: &CreditCode,
        county: &str,
        index: usize,
    ) -> Result<(), RegistryError> {
        let Some(id) = carrier_of(county) else {
            return Ok(());
        };
        let incubation = Incubation {
            carrier: CarrierId::parse(id).map_err(|e| bad_demo_data(e.message))?,
            started_on: date(self.this_year - 3, 1, 1)?,
            ended_on: (index % 2 == 0)
                .then(|| date(self.this_year - 1, 12, 31))
                .transpose()?,
        };
        incubations::record(conn, &self.caller, &self.actor, code, &incubation)?;
        Ok(())
    }

    fn provincial_zones(&self, conn: &mut DbConnection) -> Result<(), RegistryError> {
        for &(id, name, short_name, county) in PROVINCIAL_ZONES {
            let zone = NewZone {
                id: id.to_owned(),
                name: name.to_owned(),
                short_name: short_name.to_owned(),
                level: ZoneRank::Provincial,
                county_codes: vec![county.to_owned()],
            }
            .parse()?;
            zones::create(conn, &self.caller, &self.actor, &zone)?;
        }
        Ok(())
    }

    fn firm(
        &self,
        conn: &mut DbConnection,
        rng: &mut Lcg,
        index: usize,
        firm: &DemoFirm,
    ) -> Result<(), RegistryError> {
        let (code, registered_year) = self.enterprise(conn, rng, index, firm)?;
        self.incubation(conn, &code, firm.1, index)?;
        let stage = firm.4;
        self.reports(conn, rng, (&code, registered_year), stage)?;
        if stage >= 1 {
            self.pool_and_certificate(conn, &code, index, stage)?;
        }
        if stage == 1 {
            self.tech_sme(conn, &code)?;
        }
        if stage == 3 {
            self.label(conn, &code, index)?;
        }
        Ok(())
    }

    fn enterprise(
        &self,
        conn: &mut DbConnection,
        rng: &mut Lcg,
        index: usize,
        &(name, county, domain, zone, stage): &DemoFirm,
    ) -> Result<(CreditCode, i32), RegistryError> {
        let first17 = format!("91{county}MA{:07}", 1_000_000 + index * 7_919);
        let check = check_character(&first17).ok_or_else(|| bad_demo_data(&first17))?;
        let registered_year = self.this_year - rng.between(4, 12) as i32;
        let request = NewEnterprise {
            credit_code: format!("{first17}{check}"),
            name: name.to_owned(),
            region_code: county.to_owned(),
            registered_on: date(
                registered_year,
                rng.between(1, 12) as u32,
                rng.between(1, 28) as u32,
            )?,
            industry_code: industry_of(domain).to_owned(),
            tech_domain: Some(domain),
            zone_level: zone.map_or(ZoneLevel::None, |(_, level)| level),
            zone_id: zone.map(|(id, _)| id.to_owned()),
            above_scale: stage >= 2 || rng.between(0, 3) == 0,
            carrier_id: None,
            listing_status: if stage == 3 && index % 2 == 0 {
                ListingStatus::Preparing
            } else {
                ListingStatus::Unlisted
            },
        };
        let fields = request.parse(today())?;
        enterprises::create(conn, &self.actor, &fields, today())?;
        Ok((fields.credit_code, registered_year))
    }

    /// Reports for the last three to five years, growing, stronger for later stages.
    fn reports(
        &self,
        conn: &mut DbConnection,
        rng: &mut Lcg,
        (code, registered_year): (&CreditCode, i32),
        stage: u8,
    ) -> Result<(), RegistryError> {
        let years = rng.between(3, 5) as i32;
        let mut sales = rng.between(8, 60) * 1_000_000 * (1 + i64::from(stage));
        let mut employees = rng.between(25, 160);
        for year in (self.this_year - years)..self.this_year {
            if year < registered_year {
                continue;
            }
            sales = sales * rng.between(105, 130) / 100;
            employees = employees * rng.between(100, 115) / 100;
            let figures = figures(rng, stage, sales, employees);
            if let Some(e) = figures.validate().first() {
                return Err(bad_demo_data(&e.message));
            }
            let filing = (year, &figures);
            annual_reports::file(conn, &self.caller, &self.actor, code, filing, |_| Ok(()))?;
        }
        Ok(())
    }

    /// A pool entry three years ago; from stage 2 its exit and the certificate that ended it.
    fn pool_and_certificate(
        &self,
        conn: &mut DbConnection,
        code: &CreditCode,
        index: usize,
        stage: u8,
    ) -> Result<(), RegistryError> {
        let year = self.this_year - 3;
        let entry = PoolEntry {
            year,
            batch: 1,
            source: "市推荐".to_owned(),
            entered_on: date(year, 5, 15)?,
            exit: None,
        };
        pool_entries::enter(conn, &self.caller, &self.actor, code, &entry)?;
        if stage < 2 {
            return Ok(());
        }
        let issued_on = date(year + 1, 11, 28)?;
        let exit = Ending {
            on: issued_on,
            reason: "已认定为高新技术企业".to_owned(),
        };
        pool_entries::exit(conn, &self.caller, &self.actor, (code, year), &exit)?;
        let raw_number = format!("GR{}32{:06}", issued_on.year(), 1000 + index * 37);
        let certificate = Certificate {
            number: CertificateNo::parse(&raw_number, issued_on)
                .map_err(|(_, e)| bad_demo_data(e))?,
            issued_on,
            revocation: None,
        };
        certificates::record(conn, &self.caller, &self.actor, code, &certificate)?;
        Ok(())
    }

    /// Evaluated a tech-based SME (科技型中小企业) last year: the firms still in the pool.
    fn tech_sme(&self, conn: &mut DbConnection, code: &CreditCode) -> Result<(), RegistryError> {
        let label = Label {
            kind: LabelKind::TechSme,
            year: self.this_year - 1,
            level: LabelLevel::Provincial,
            issuer: Some("江苏省科学技术厅".to_owned()),
        };
        labels::grant(conn, &self.caller, &self.actor, code, &label)?;
        Ok(())
    }

    /// A gazelle or little-giant label of last year.
    fn label(
        &self,
        conn: &mut DbConnection,
        code: &CreditCode,
        index: usize,
    ) -> Result<(), RegistryError> {
        let (kind, level, issuer) = if index % 2 == 0 {
            (
                LabelKind::Gazelle,
                LabelLevel::Provincial,
                "江苏省科学技术厅",
            )
        } else {
            (
                LabelKind::LittleGiant,
                LabelLevel::National,
                "工业和信息化部",
            )
        };
        let label = Label {
            kind,
            year: self.this_year - 1,
            level,
            issuer: Some(issuer.to_owned()),
        };
        labels::grant(conn, &self.caller, &self.actor, code, &label)?;
        Ok(())
    }
}

fn industry_of(domain: TechDomain) -> &'static str {
    match domain {
        TechDomain::ElectronicInformation => "I6513",
        TechDomain::BiotechAndNewMedicine => "C2761",
        TechDomain::Aerospace => "C3741",
        TechDomain::NewMaterials => "C3985",
        TechDomain::HighTechServices => "M7452",
        TechDomain::NewEnergyAndEnergySaving => "C3825",
        TechDomain::ResourcesAndEnvironment => "C3591",
        TechDomain::AdvancedManufacturingAndAutomation => "C3491",
    }
}

/// A year's figures of a firm of `stage` with these sales and employees.
fn figures(rng: &mut Lcg, stage: u8, sales: i64, employees: i64) -> ReportFigures {
    let st_share = [6, 11, 16, 22][usize::from(stage)];
    let rd_share = [2, 4, 5, 7][usize::from(stage)];
    let rd = sales * rng.between(rd_share * 10, rd_share * 10 + 15) / 1000;
    let total_income = sales + sales * rng.between(1, 6) / 100;
    let class1 = i64::from(stage) + rng.between(0, 3);
    ReportFigures {
        employees: Some(employees),
        st_staff: Some(employees * st_share / 100),
        total_income_yuan: Some(total_income),
        sales_revenue_yuan: Some(sales),
        hightech_income_yuan: Some(total_income * rng.between(45 + 5 * i64::from(stage), 80) / 100),
        rd_expense_yuan: Some(rd),
        rd_expense_domestic_yuan: Some(rd * rng.between(85, 100) / 100),
        total_costs_yuan: Some(sales * rng.between(78, 92) / 100),
        net_assets_yuan: Some(sales * rng.between(30, 70) / 100),
        total_assets_yuan: Some(sales * rng.between(90, 150) / 100),
        industrial_output_yuan: Some(sales * rng.between(90, 105) / 100),
        tax_paid_yuan: Some(sales * rng.between(3, 7) / 100),
        invention_patents: Some(class1.saturating_sub(1).max(0)),
        class1_ip: Some(class1),
        class2_ip: Some(rng.between(2, 12)),
        new_ip: Some(rng.between(0, 5)),
        conversions: Some(rng.between(0, 4) + i64::from(stage)),
        rd_institution: Some(match stage {
            0 => RdInstitution::None,
            1 => RdInstitution::Enterprise,
            2 => RdInstitution::Municipal,
            _ => RdInstitution::Provincial,
        }),
    }
}
