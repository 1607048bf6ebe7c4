//! A synthetic Jiangsu province for load tests and benchmarks: enterprises spread over every
//! county-level division (functional zones included) roughly like the province's economy,
//! with three to five years of annual reports, pool entries, HTE certificates and labels,
//! written as the CSV files the importer accepts.
//!
//! Deterministic: the same `firms`, `seed` and current date give the same bytes. Every firm
//! draws from its own generator (derived from the seed and its index), and rows are streamed
//! to the files as they are made; the province is never held in memory.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use hte_shared::regions::{self, Region, RegionKind, RegionLevel};

use enterprise_registry::domain::credit_code::check_character;

/// Import kinds and their files, in the order they must be imported (facts after firms).
pub const FILES: [(&str, &str); 5] = [
    ("enterprises", "enterprises.csv"),
    ("annual_reports", "annual_reports.csv"),
    ("pool_entries", "pool_entries.csv"),
    ("certificates", "certificates.csv"),
    ("labels", "labels.csv"),
];

pub const ENTERPRISES_HEADER: &str = "credit_code,name,region_code,registered_on,industry_code,tech_domain,zone_level,zone_id,above_scale,carrier_id,listing_status";
pub const ANNUAL_REPORTS_HEADER: &str = "credit_code,year,employees,st_staff,total_income_yuan,sales_revenue_yuan,hightech_income_yuan,rd_expense_yuan,rd_expense_domestic_yuan,total_costs_yuan,net_assets_yuan,total_assets_yuan,industrial_output_yuan,tax_paid_yuan,invention_patents,class1_ip,class2_ip,new_ip,conversions,rd_institution";
pub const POOL_ENTRIES_HEADER: &str =
    "credit_code,year,batch,source,entered_on,exited_on,exit_reason";
pub const CERTIFICATES_HEADER: &str =
    "credit_code,certificate_no,issued_on,revoked_on,revoke_reason";
pub const LABELS_HEADER: &str = "credit_code,kind,year,level,issuer";

/// Rows written per file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub enterprises: usize,
    pub annual_reports: usize,
    pub pool_entries: usize,
    pub certificates: usize,
    pub labels: usize,
}

impl Summary {
    pub fn total(&self) -> usize {
        self.enterprises + self.annual_reports + self.pool_entries + self.certificates + self.labels
    }

    /// Rows of the file of an import kind (see [`FILES`]).
    pub fn rows_of(&self, kind: &str) -> usize {
        match kind {
            "enterprises" => self.enterprises,
            "annual_reports" => self.annual_reports,
            "pool_entries" => self.pool_entries,
            "certificates" => self.certificates,
            "labels" => self.labels,
            _ => 0,
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enterprises {}, annual_reports {}, pool_entries {}, certificates {}, labels {} (total {})",
            self.enterprises,
            self.annual_reports,
            self.pool_entries,
            self.certificates,
            self.labels,
            self.total()
        )
    }
}

/// Largest province this generator makes (the subject identifiers are a permutation of the
/// firm index over 10^8 values).
pub const MAX_FIRMS: usize = 50_000_000;

/// Writes a province of `firms` enterprises into `out` (created if needed), as of today
/// (China time): reports end with last year.
pub fn generate(firms: usize, seed: u64, out: &Path) -> io::Result<Summary> {
    generate_as_of(firms, seed, hte_shared::time::today(), out)
}

/// As [`generate`], for a given "today" (fully reproducible).
pub fn generate_as_of(
    firms: usize,
    seed: u64,
    today: NaiveDate,
    out: &Path,
) -> io::Result<Summary> {
    if firms > MAX_FIRMS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("at most {MAX_FIRMS} firms"),
        ));
    }
    std::fs::create_dir_all(out)?;
    let open = |name: &str, header: &str| -> io::Result<BufWriter<File>> {
        let mut w = BufWriter::with_capacity(1 << 16, File::create(out.join(name))?);
        writeln!(w, "{header}")?;
        Ok(w)
    };
    let mut sink = Sink {
        enterprises: open("enterprises.csv", ENTERPRISES_HEADER)?,
        reports: open("annual_reports.csv", ANNUAL_REPORTS_HEADER)?,
        pool: open("pool_entries.csv", POOL_ENTRIES_HEADER)?,
        certificates: open("certificates.csv", CERTIFICATES_HEADER)?,
        labels: open("labels.csv", LABELS_HEADER)?,
        summary: Summary::default(),
        certificate_seq: HashMap::new(),
    };
    let province = Province::new(seed);
    for index in 0..firms {
        let firm = province.firm(seed, index as u64, today)?;
        sink.write(&firm)?;
    }
    for w in [
        &mut sink.enterprises,
        &mut sink.reports,
        &mut sink.pool,
        &mut sink.certificates,
        &mut sink.labels,
    ] {
        w.flush()?;
    }
    Ok(sink.summary)
}

// ---- randomness --------------------------------------------------------------------------

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// PCG-XSH-RR 64/32: small, fast, and the same on every machine.
struct Pcg(u64);

impl Pcg {
    const INC: u64 = 1_442_695_040_888_963_407;

    fn new(seed: u64, index: u64) -> Self {
        let mut rng = Pcg(splitmix(seed ^ splitmix(index)));
        rng.next_u32();
        rng
    }

    fn next_u32(&mut self) -> u32 {
        let old = self.0;
        self.0 = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(Self::INC);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }

    fn below(&mut self, n: u64) -> u64 {
        let wide = (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32());
        wide % n.max(1)
    }

    fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below((high - low + 1) as u64) as i64
    }

    fn unit(&mut self) -> f64 {
        f64::from(self.next_u32()) / 4_294_967_296.0
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Index into `weights`, drawn in proportion to them.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }
}

// ---- the province ------------------------------------------------------------------------

/// Share of firms per city, in per cent (sums to 100): Suzhou, Nanjing and Wuxi lead.
const CITY_WEIGHTS: [(&str, u32); 13] = [
    ("320100", 14),
    ("320200", 12),
    ("320300", 6),
    ("320400", 8),
    ("320500", 22),
    ("320600", 8),
    ("320700", 3),
    ("320800", 4),
    ("320900", 5),
    ("321000", 5),
    ("321100", 4),
    ("321200", 5),
    ("321300", 4),
];

/// The 18 national high-tech zones by (likely) host county, by the ids the registry seeds.
const NATIONAL_ZONES: [(&str, &str); 18] = [
    ("320111", "nanjing-hz"),
    ("320214", "wuxi-hz"),
    ("320411", "changzhou-hz"),
    ("320505", "suzhou-hz"),
    ("321203", "taizhou-pharma-hz"),
    ("320583", "kunshan-hz"),
    ("320281", "jiangyin-hz"),
    ("320312", "xuzhou-hz"),
    ("320412", "wujin-hz"),
    ("320576", "suzhou-sip"),
    ("320612", "nantong-hz"),
    ("321112", "zhenjiang-hz"),
    ("320706", "lianyungang-hz"),
    ("320903", "yancheng-hz"),
    ("321003", "yangzhou-hz"),
    ("320581", "changshu-hz"),
    ("320804", "huaian-hz"),
    ("321302", "suqian-hz"),
];

struct County {
    code: String,
    city_short: String,
    national_zone: Option<&'static str>,
    provincial_zone: Option<String>,
    /// Issuer name of county-level honours, e.g. 昆山市科学技术局.
    bureau: String,
    city_bureau: String,
}

struct Province {
    counties: Vec<County>,
    /// Cumulative weights, parallel to `counties`.
    cumulative: Vec<u64>,
    /// Affine permutations of the firm index (multiplier, offset) for the two identifier styles.
    new_style: (u64, u64),
    old_style: (u64, u64),
}

fn short_name(name: &str) -> &str {
    for suffix in ["市", "区", "县"] {
        if let Some(s) = name.strip_suffix(suffix)
            && s.chars().count() >= 2
        {
            return s;
        }
    }
    name
}

fn code_number(region: &Region) -> u64 {
    region.code.to_string().parse().unwrap_or(0)
}

impl Province {
    fn new(seed: u64) -> Self {
        let mut counties = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u64;
        for (city_code, city_weight) in CITY_WEIGHTS {
            let Some(city) = regions::all()
                .iter()
                .find(|r| r.level == RegionLevel::City && r.code.to_string() == city_code)
            else {
                continue;
            };
            let city_short = short_name(&city.name).to_owned();
            let members: Vec<&Region> = regions::all()
                .iter()
                .filter(|r| r.level == RegionLevel::County && r.parent == Some(city.code))
                .collect();
            // Roughly uniform with some skew: a fixed factor 6..12 per county, doubled where a
            // national zone is, tripled for the Suzhou Industrial Park, halved for the other
            // statistical functional zones.
            let factors: Vec<u64> = members
                .iter()
                .map(|r| {
                    let code = r.code.to_string();
                    let mut f = 6 + splitmix(code_number(r)) % 7;
                    if code == "320576" {
                        f *= 3;
                    } else if NATIONAL_ZONES.iter().any(|(c, _)| *c == code) {
                        f *= 2;
                    } else if r.kind == RegionKind::FunctionalZone {
                        f = f.div_ceil(2);
                    }
                    f
                })
                .collect();
            let sum: u64 = factors.iter().sum();
            for (region, factor) in members.iter().zip(factors) {
                let code = region.code.to_string();
                let national_zone = NATIONAL_ZONES
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, name)| *name);
                let short = short_name(&region.name);
                let provincial_zone = (national_zone.is_none()
                    && region.kind != RegionKind::FunctionalZone
                    && splitmix(code_number(region) + 17) % 2 == 0)
                    .then(|| {
                        if region.kind == RegionKind::District {
                            format!("{city_short}{short}高新区")
                        } else {
                            format!("{short}高新区")
                        }
                    });
                let bureau = if region.kind == RegionKind::FunctionalZone {
                    format!("{}管理委员会", region.name)
                } else if region.kind == RegionKind::District {
                    format!("{}{}科学技术局", city.name, region.name)
                } else {
                    format!("{}科学技术局", region.name)
                };
                total += (u64::from(city_weight) * 1_000_000 * factor / sum.max(1)).max(1);
                cumulative.push(total);
                counties.push(County {
                    code,
                    city_short: city_short.clone(),
                    national_zone,
                    provincial_zone,
                    bureau,
                    city_bureau: format!("{}科学技术局", city.name),
                });
            }
        }
        let mix = splitmix(seed);
        // Multipliers coprime to 31 (31^6 values) and to 10 (10^8 values).
        let new_mul = 104_729 * 31 + 7;
        let old_mul = 1_000_003;
        Self {
            counties,
            cumulative,
            new_style: (new_mul, mix % NEW_SPACE),
            old_style: (old_mul, (mix >> 20) % OLD_SPACE),
        }
    }

    fn county(&self, rng: &mut Pcg) -> &County {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let r = rng.below(total);
        let i = self.cumulative.partition_point(|&c| c <= r);
        &self.counties[i.min(self.counties.len() - 1)]
    }
}

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// 31^6: bodies "MA" + six symbols.
const NEW_SPACE: u64 = 887_503_681;
/// 10^8: eight-digit organisation code bodies.
const OLD_SPACE: u64 = 100_000_000;

/// GB 11714 check character of an eight-character organisation code body.
fn org_check(body: &[u8]) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| {
            let v = match c {
                b'0'..=b'9' => u32::from(c - b'0'),
                b'A'..=b'Z' => u32::from(c - b'A') + 10,
                _ => 0,
            };
            v * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        c => char::from(b'0' + c as u8),
    }
}

fn subject_identifier(province: &Province, index: u64, new_style: bool) -> String {
    let mut body = Vec::with_capacity(9);
    if new_style {
        let (a, b) = province.new_style;
        let mut x = (a.wrapping_mul(index % NEW_SPACE) % NEW_SPACE + b) % NEW_SPACE;
        body.extend_from_slice(b"MA");
        let mut tail = [b'0'; 6];
        for slot in tail.iter_mut().rev() {
            *slot = ALPHABET[(x % 31) as usize];
            x /= 31;
        }
        body.extend_from_slice(&tail);
    } else {
        let (a, b) = province.old_style;
        let x = (a.wrapping_mul(index % OLD_SPACE) % OLD_SPACE + b) % OLD_SPACE;
        body.extend_from_slice(format!("{x:08}").as_bytes());
    }
    let check = org_check(&body);
    let mut id = String::from_utf8_lossy(&body).into_owned();
    id.push(check);
    id
}

// ---- one firm ----------------------------------------------------------------------------

const DOMAINS: [(&str, u32); 8] = [
    ("electronic_information", 25),
    ("advanced_manufacturing_and_automation", 22),
    ("new_materials", 14),
    ("high_tech_services", 12),
    ("biotech_and_new_medicine", 10),
    ("new_energy_and_energy_saving", 9),
    ("resources_and_environment", 6),
    ("aerospace", 2),
];

fn industry_words(domain: &str) -> &'static [&'static str] {
    match domain {
        "electronic_information" => &[
            "电子科技",
            "信息技术",
            "软件科技",
            "微电子",
            "半导体",
            "通信技术",
            "智能科技",
            "数据科技",
        ],
        "advanced_manufacturing_and_automation" => &[
            "智能装备",
            "精密机械",
            "自动化设备",
            "机器人科技",
            "机电科技",
            "数控科技",
            "精工科技",
        ],
        "new_materials" => &[
            "新材料科技",
            "材料科技",
            "高分子材料",
            "复合材料",
            "纳米科技",
        ],
        "high_tech_services" => &["检测技术", "科技服务", "信息咨询", "工程技术", "技术转移"],
        "biotech_and_new_medicine" => &["生物科技", "医药科技", "生物医药", "医疗器械", "制药"],
        "new_energy_and_energy_saving" => {
            &["新能源科技", "光伏科技", "储能科技", "节能科技", "电池科技"]
        }
        "resources_and_environment" => &["环保科技", "环境工程", "水处理技术", "资源再生科技"],
        _ => &["航空科技", "航天科技", "航空部件", "精密航空"],
    }
}

fn industry_codes(domain: &str) -> &'static [&'static str] {
    match domain {
        "electronic_information" => &[
            "C3973", "C3972", "C3974", "C3982", "C3921", "I6511", "I6513", "I6531",
        ],
        "advanced_manufacturing_and_automation" => {
            &["C3491", "C3421", "C4011", "C3484", "C3670", "C3499"]
        }
        "new_materials" => &["C3985", "C2651", "C3240", "C3091", "C2669"],
        "high_tech_services" => &["M7320", "M7452", "M7520", "I6550", "M7484"],
        "biotech_and_new_medicine" => &["C2710", "C2720", "C2761", "C2762", "C3581", "M7340"],
        "new_energy_and_energy_saving" => &["C3825", "C3841", "C3415", "C3849"],
        "resources_and_environment" => &["C3591", "N7722", "N7721", "C4220"],
        _ => &["C3741", "C3742", "C3743", "C3744"],
    }
}

const BRAND: [&str; 80] = [
    "恒", "瑞", "华", "信", "达", "通", "科", "创", "新", "源", "盛", "德", "鑫", "泰", "宏", "海",
    "天", "明", "锐", "星", "联", "博", "远", "卓", "越", "智", "云", "辰", "启", "航", "晟", "昊",
    "嘉", "力", "凯", "腾", "钧", "弘", "正", "元", "和", "润", "丰", "安", "康", "兴", "隆", "美",
    "誉", "诚", "睿", "拓", "铭", "峰", "帆", "晶", "光", "微", "芯", "磐", "澜", "汇", "逸", "致",
    "合", "利", "宇", "骏", "翔", "展", "赛", "高", "金", "邦", "中", "普", "威", "立", "峻", "环",
];

struct Report {
    year: i32,
    employees: i64,
    st_staff: i64,
    total_income: i64,
    sales: i64,
    hightech_income: i64,
    rd: i64,
    rd_domestic: i64,
    total_costs: i64,
    net_assets: i64,
    total_assets: i64,
    industrial_output: i64,
    tax_paid: i64,
    invention_patents: i64,
    class1: i64,
    class2: i64,
    new_ip: i64,
    conversions: i64,
    rd_institution: &'static str,
}

struct PoolEntry {
    year: i32,
    batch: i64,
    source: &'static str,
    entered_on: NaiveDate,
    exit: Option<(NaiveDate, &'static str)>,
}

struct Certificate {
    issued_on: NaiveDate,
    revoked: Option<(NaiveDate, &'static str)>,
}

struct Label {
    kind: &'static str,
    year: i32,
    level: &'static str,
    issuer: String,
}

struct Firm {
    credit_code: String,
    name: String,
    region_code: String,
    registered_on: NaiveDate,
    industry_code: &'static str,
    tech_domain: &'static str,
    zone: Option<(&'static str, String)>,
    above_scale: bool,
    listing_status: &'static str,
    reports: Vec<Report>,
    pool: Option<PoolEntry>,
    certificates: Vec<Certificate>,
    labels: Vec<Label>,
}

fn date(year: i32, month: i64, day: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month.clamp(1, 12) as u32, day.clamp(1, 28) as u32)
        .unwrap_or(NaiveDate::MIN)
}

fn random_day(rng: &mut Pcg, year: i32, months: (i64, i64)) -> NaiveDate {
    let month = rng.between(months.0, months.1);
    date(year, month, rng.between(1, 28))
}

fn scale(value: i64, low_percent: i64, high_percent: i64, rng: &mut Pcg) -> i64 {
    value.saturating_mul(rng.between(low_percent, high_percent)) / 100
}

/// HTE certificates of a firm (about 15 % of firms; some renewed every three years).
fn certificates(rng: &mut Pcg, registered_on: NaiveDate, today: NaiveDate) -> Vec<Certificate> {
    let this_year = today.year();
    let mut certificates = Vec::new();
    if !rng.chance(0.15) {
        return certificates;
    }
    let earliest = (registered_on.year() + 1).max(this_year - 9);
    let mut year = rng.between(i64::from(earliest), i64::from(this_year)) as i32;
    loop {
        let mut issued_on = random_day(rng, year, (10, 12));
        if issued_on > today {
            issued_on = date(year, 1, 1).max(today - chrono::Days::new(30));
        }
        if issued_on <= registered_on || issued_on > today {
            break;
        }
        let revoked = rng.chance(0.01).then(|| {
            let days = rng.between(60, 700) as u64;
            let on = (issued_on + chrono::Days::new(days)).min(today);
            (on, "虚报申报材料撤销资格")
        });
        certificates.push(Certificate { issued_on, revoked });
        year += 3;
        if year > this_year || revoked.is_some() || !rng.chance(0.6) {
            break;
        }
    }
    certificates
}

/// The pool entry of a firm: about 40 % of HTEs came through the pool; 16.5 % of the
/// others are in it.
fn pool_entry(
    rng: &mut Pcg,
    certificates: &[Certificate],
    registered_on: NaiveDate,
    today: NaiveDate,
) -> Option<PoolEntry> {
    let (this_year, registered_year) = (today.year(), registered_on.year());
    let pool_sources = ["市推荐", "县（区）推荐", "高新区推荐", "自主申报"];
    if let Some(first_cert) = certificates.first().filter(|_| rng.chance(0.4)) {
        let year = first_cert.issued_on.year() - 1;
        (year >= 2015 && year > registered_year).then(|| PoolEntry {
            year,
            batch: rng.between(1, 2),
            source: pool_sources[rng.below(pool_sources.len() as u64) as usize],
            entered_on: random_day(rng, year, (3, 9)),
            exit: Some((first_cert.issued_on, "已认定为高新技术企业")),
        })
    } else if certificates.is_empty() && rng.chance(0.165) {
        let earliest = (registered_year + 1).max(2015);
        let year = rng.between(i64::from(earliest), i64::from(this_year)) as i32;
        let entered_on = random_day(rng, year, (3, 9)).min(today);
        let exit = if year <= this_year - 3 && rng.chance(0.5) {
            let on = date(year + 3, 12, 20).min(today);
            Some((on, "培育期满未认定"))
        } else if rng.chance(0.05) {
            let on = (entered_on + chrono::Days::new(rng.between(90, 500) as u64)).min(today);
            Some((on, "企业申请退出"))
        } else {
            None
        };
        (entered_on > registered_on).then(|| PoolEntry {
            year,
            batch: rng.between(1, 2),
            source: pool_sources[rng.below(pool_sources.len() as u64) as usize],
            entered_on,
            exit,
        })
    } else {
        None
    }
}

/// How a firm's reports grow: sizes skewed towards small firms, HTEs larger and more
/// R&D-heavy.
struct Profile {
    hte: bool,
    manufacturing: bool,
    revenue_per_employee: i64,
    st_share: i64,
    rd_rate: i64,
    hightech_share: (i64, i64),
    rd_institution: &'static str,
}

impl Profile {
    fn new(rng: &mut Pcg, hte: bool, industry_code: &str) -> Self {
        let revenue_per_employee = rng.between(400_000, 1_500_000);
        let st_share = if hte {
            rng.between(12, 45)
        } else {
            rng.between(3, 25)
        };
        let rd_rate = if hte {
            rng.between(30, 90)
        } else {
            rng.between(5, 60)
        };
        let rd_institution = {
            let keys = ["none", "enterprise", "municipal", "provincial", "national"];
            let weights: [u32; 5] = if hte {
                [10, 40, 30, 17, 3]
            } else {
                [55, 30, 12, 3, 0]
            };
            keys[rng.weighted(&weights)]
        };
        Self {
            hte,
            manufacturing: industry_code.starts_with('C'),
            revenue_per_employee,
            st_share,
            rd_rate,
            hightech_share: if hte { (55, 95) } else { (0, 70) },
            rd_institution,
        }
    }
}

/// The annual reports of `years` years from `first_year`, and the last year's sales.
fn reports(
    rng: &mut Pcg,
    hte: bool,
    industry_code: &str,
    (first_year, years): (i32, i32),
) -> (Vec<Report>, f64) {
    let u = rng.unit();
    let last_sales = if hte {
        10f64.powf(7.0 + 2.4 * u.powf(1.3))
    } else {
        10f64.powf(6.2 + 2.7 * u.powf(1.7))
    };
    let mut growth_total = 1.0;
    let growth: Vec<i64> = (0..years).map(|_| rng.between(92, 130)).collect();
    for g in growth.iter().skip(1) {
        growth_total *= *g as f64 / 100.0;
    }
    let mut sales = (last_sales / growth_total) as i64;
    let profile = Profile::new(rng, hte, industry_code);
    let mut ip = IpHeld {
        invention: if hte {
            rng.between(1, 8)
        } else {
            rng.between(0, 2)
        },
        other_class1: rng.between(0, 3),
        class2: rng.between(0, 12),
    };
    let mut reports = Vec::with_capacity(years as usize);
    for (i, g) in growth.iter().enumerate() {
        if i > 0 {
            sales = sales.saturating_mul(*g) / 100;
        }
        reports.push(report(rng, &profile, &mut ip, first_year + i as i32, sales));
    }
    (reports, last_sales)
}

/// Intellectual property held at a year's end.
struct IpHeld {
    invention: i64,
    other_class1: i64,
    class2: i64,
}

fn report(rng: &mut Pcg, p: &Profile, ip: &mut IpHeld, year: i32, sales: i64) -> Report {
    let employees = (sales / p.revenue_per_employee).max(5);
    let total_income = sales + scale(sales, 0, 8, rng);
    let rd = sales.saturating_mul(p.rd_rate + rng.between(-5, 5)).max(0) / 1000;
    let total_assets = scale(sales, 60, 180, rng);
    let new_invention = if p.hte {
        rng.between(0, 3)
    } else {
        rng.between(0, 1)
    };
    let new_other = rng.between(0, 1);
    let new_class2 = rng.between(0, 8);
    ip.invention += new_invention;
    ip.other_class1 += new_other;
    ip.class2 += new_class2;
    Report {
        year,
        employees,
        st_staff: employees * p.st_share / 100,
        total_income,
        sales,
        hightech_income: scale(total_income, p.hightech_share.0, p.hightech_share.1, rng),
        rd,
        rd_domestic: scale(rd, 85, 100, rng),
        total_costs: scale(sales, 78, 99, rng),
        net_assets: scale(total_assets, -10, 65, rng),
        total_assets,
        industrial_output: if p.manufacturing {
            scale(sales, 90, 108, rng)
        } else {
            0
        },
        tax_paid: sales.saturating_mul(rng.between(15, 70)) / 1000,
        invention_patents: ip.invention,
        class1: ip.invention + ip.other_class1,
        class2: ip.class2,
        new_ip: new_invention + new_other + new_class2,
        conversions: if p.hte {
            rng.between(1, 10)
        } else {
            rng.between(0, 4)
        },
        rd_institution: p.rd_institution,
    }
}

/// The high-tech zone a firm is in, if any.
fn zone(rng: &mut Pcg, county: &County) -> Option<(&'static str, String)> {
    if let Some(name) = county.national_zone {
        let p = if county.code == "320576" { 0.9 } else { 0.45 };
        rng.chance(p).then(|| ("national", name.to_owned()))
    } else if county.provincial_zone.is_some() {
        // Zones are reference data now, and the registry holds only the national ones; a
        // made-up provincial zone would be refused, so these firms are written without one.
        // The draw stays, so every other figure of a seed is what it was.
        rng.chance(0.3);
        None
    } else {
        None
    }
}

/// Who grants a label of `kind` to a firm of `county`: level and body.
fn grantor(rng: &mut Pcg, kind: &str, county: &County) -> (&'static str, String) {
    match kind {
        "tech_sme" => ("provincial", "江苏省科学技术厅".to_owned()),
        "gazelle" => match rng.between(0, 9) {
            0..=4 => ("provincial", "江苏省科学技术厅".to_owned()),
            5..=8 => ("municipal", county.city_bureau.clone()),
            _ => ("county", county.bureau.clone()),
        },
        "listing_pipeline" => {
            if rng.chance(0.6) {
                ("provincial", "江苏省地方金融监督管理局".to_owned())
            } else {
                (
                    "municipal",
                    format!("{}市地方金融监督管理局", county.city_short),
                )
            }
        }
        "little_giant" | "single_champion" => {
            if rng.chance(0.4) {
                ("national", "工业和信息化部".to_owned())
            } else {
                ("provincial", "江苏省工业和信息化厅".to_owned())
            }
        }
        _ => ("provincial", "江苏省科学技术厅".to_owned()),
    }
}

/// Labels for a few per cent of firms, more often for HTEs.
fn labels(
    rng: &mut Pcg,
    hte: bool,
    registered_year: i32,
    this_year: i32,
    county: &County,
) -> Vec<Label> {
    let mut labels: Vec<Label> = Vec::new();
    if !rng.chance(if hte { 0.12 } else { 0.03 }) {
        return labels;
    }
    let kinds: [(&str, u32); 7] = [
        ("tech_sme", 45),
        ("gazelle", 18),
        ("listing_pipeline", 10),
        ("little_giant", 10),
        ("innovative_leader", 6),
        ("top100", 6),
        ("single_champion", 5),
    ];
    let count = if rng.chance(0.25) { 2 } else { 1 };
    let earliest = i64::from((registered_year + 1).max(2018));
    for _ in 0..count {
        let kind = kinds[rng.weighted(&kinds.map(|(_, w)| w))].0;
        if labels.iter().any(|l| l.kind == kind) {
            continue;
        }
        let year = rng.between(earliest, i64::from(this_year)) as i32;
        let (level, issuer) = grantor(rng, kind, county);
        // A tech-SME registration is yearly: some firms hold it several years running.
        let span = if kind == "tech_sme" {
            rng.between(1, 3) as i32
        } else {
            1
        };
        for y in year..(year + span).min(this_year + 1) {
            labels.push(Label {
                kind,
                year: y,
                level,
                issuer: issuer.clone(),
            });
        }
    }
    labels
}

impl Province {
    fn firm(&self, seed: u64, index: u64, today: NaiveDate) -> io::Result<Firm> {
        let mut rng = Pcg::new(seed, index);
        let this_year = today.year();
        let county = self.county(&mut rng);

        // Reports and registration.
        let years = rng.between(3, 5) as i32;
        let first_report_year = this_year - 1 - years + 1;
        let mut age = rng.between(0, 2);
        if rng.chance(0.55) {
            age += rng.between(0, 8);
        }
        if rng.chance(0.3) {
            age += rng.between(0, 16);
        }
        let registered_year = (first_report_year - 1 - age as i32).max(1990);
        let registered_on = random_day(&mut rng, registered_year, (1, 12));

        let domain = DOMAINS[rng.weighted(&DOMAINS.map(|(_, w)| w))].0;
        let industry_code = *rng.pick(industry_codes(domain));
        let first = rng.below(BRAND.len() as u64) as usize;
        let mut second = rng.below(BRAND.len() as u64 - 1) as usize;
        if second >= first {
            second += 1;
        }
        let brand = format!("{}{}", BRAND[first], BRAND[second]);
        let word = *rng.pick(industry_words(domain));

        let certificates = certificates(&mut rng, registered_on, today);
        let hte = !certificates.is_empty();
        let pool = pool_entry(&mut rng, &certificates, registered_on, today);
        let span = (first_report_year, years);
        let (reports, last_sales) = reports(&mut rng, hte, industry_code, span);
        let zone = zone(&mut rng, county);
        let labels = labels(&mut rng, hte, registered_year, this_year, county);
        let pipeline = labels.iter().any(|l| l.kind == "listing_pipeline");
        let listing_status = if last_sales > 300_000_000.0 && rng.chance(0.05) {
            "listed"
        } else if pipeline || rng.chance(0.01) {
            "preparing"
        } else {
            "unlisted"
        };
        let company = if listing_status == "unlisted" {
            "有限公司"
        } else {
            "股份有限公司"
        };
        let first17 = format!(
            "91{}{}",
            county.code,
            subject_identifier(self, index, registered_year >= 2016)
        );
        let check = check_character(&first17)
            .ok_or_else(|| io::Error::other(format!("no check character for {first17}")))?;
        Ok(Firm {
            credit_code: format!("{first17}{check}"),
            name: format!("{}{brand}{word}{company}", county.city_short),
            region_code: county.code.clone(),
            registered_on,
            industry_code,
            tech_domain: domain,
            zone,
            above_scale: last_sales >= 20_000_000.0,
            listing_status,
            reports,
            pool,
            certificates,
            labels,
        })
    }
}

// ---- writing -----------------------------------------------------------------------------

struct Sink {
    enterprises: BufWriter<File>,
    reports: BufWriter<File>,
    pool: BufWriter<File>,
    certificates: BufWriter<File>,
    labels: BufWriter<File>,
    summary: Summary,
    /// Next certificate sequence number per issue year.
    certificate_seq: HashMap<i32, u32>,
}

impl Sink {
    fn write(&mut self, firm: &Firm) -> io::Result<()> {
        let code = &firm.credit_code;
        let (zone_level, zone_id) = match &firm.zone {
            Some((level, id)) => (*level, id.as_str()),
            None => ("none", ""),
        };
        writeln!(
            self.enterprises,
            "{code},{},{},{},{},{},{zone_level},{zone_id},{},,{}",
            firm.name,
            firm.region_code,
            firm.registered_on,
            firm.industry_code,
            firm.tech_domain,
            firm.above_scale,
            firm.listing_status
        )?;
        self.summary.enterprises += 1;
        for r in &firm.reports {
            writeln!(
                self.reports,
                "{code},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                r.year,
                r.employees,
                r.st_staff,
                r.total_income,
                r.sales,
                r.hightech_income,
                r.rd,
                r.rd_domestic,
                r.total_costs,
                r.net_assets,
                r.total_assets,
                r.industrial_output,
                r.tax_paid,
                r.invention_patents,
                r.class1,
                r.class2,
                r.new_ip,
                r.conversions,
                r.rd_institution
            )?;
            self.summary.annual_reports += 1;
        }
        if let Some(p) = &firm.pool {
            let (exited_on, reason) = match p.exit {
                Some((on, reason)) => (on.to_string(), reason),
                None => (String::new(), ""),
            };
            writeln!(
                self.pool,
                "{code},{},{},{},{},{exited_on},{reason}",
                p.year, p.batch, p.source, p.entered_on
            )?;
            self.summary.pool_entries += 1;
        }
        for c in &firm.certificates {
            let year = c.issued_on.year();
            let seq = self.certificate_seq.entry(year).or_insert(1_000);
            // Numbers rise through the year's batches, with gaps (other provinces' series).
            *seq += 1 + (splitmix(u64::from(*seq) ^ code.len() as u64) % 3) as u32;
            let (revoked_on, reason) = match c.revoked {
                Some((on, reason)) => (on.to_string(), reason),
                None => (String::new(), ""),
            };
            writeln!(
                self.certificates,
                "{code},GR{year}32{:06},{},{revoked_on},{reason}",
                *seq, c.issued_on
            )?;
            self.summary.certificates += 1;
        }
        for l in &firm.labels {
            writeln!(
                self.labels,
                "{code},{},{},{},{}",
                l.kind, l.year, l.level, l.issuer
            )?;
            self.summary.labels += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use enterprise_registry::domain::annual_report::ReportFigures;
    use enterprise_registry::domain::certificates::CertificateNo;
    use enterprise_registry::domain::credit_code::CreditCode;
    use enterprise_registry::domain::labels::{LabelKind, LabelLevel};
    use hte_shared::regions::RegionCode;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "hte-synthetic-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn read(dir: &Path, file: &str) -> Vec<csv::StringRecord> {
        let mut reader = csv::Reader::from_path(dir.join(file)).unwrap();
        reader.records().map(|r| r.unwrap()).collect()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn opt(s: &str) -> Option<i64> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn deterministic_valid_province() {
        let today = d("2026-11-29");
        let a = temp_dir("a");
        let b = temp_dir("b");
        let summary = generate_as_of(500, 57, today, &a).unwrap();
        assert_eq!(generate_as_of(500, 57, today, &b).unwrap(), summary);
        for (_, file) in FILES {
            assert_eq!(
                std::fs::read(a.join(file)).unwrap(),
                std::fs::read(b.join(file)).unwrap(),
                "{file} differs between runs"
            );
        }
        let c = temp_dir("c");
        generate_as_of(500, 58, today, &c).unwrap();
        assert_ne!(
            std::fs::read(a.join("enterprises.csv")).unwrap(),
            std::fs::read(c.join("enterprises.csv")).unwrap()
        );

        assert_eq!(summary.enterprises, 500);
        let registered = enterprises_are_valid(&a);
        annual_reports_are_valid(&a, summary.annual_reports, &registered);
        pool_entries_certificates_and_labels_are_valid(&a, &registered, today);
        for dir in [a, b, c] {
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    /// Enterprises: valid unique codes, county-level regions, all 13 cities. Returns each
    /// one's registration date by credit code.
    fn enterprises_are_valid(dir: &Path) -> HashMap<String, NaiveDate> {
        let firms = read(dir, "enterprises.csv");
        assert_eq!(firms.len(), 500);
        let mut registered = HashMap::new();
        let mut cities = HashSet::new();
        for f in &firms {
            let code = CreditCode::parse(&f[0]).unwrap_or_else(|e| panic!("{}: {e}", &f[0]));
            assert_eq!(code.as_str(), &f[0]);
            assert_eq!(&f[0][2..8], &f[2], "division in the code is the county");
            let region = regions::find(&RegionCode::parse(&f[2]).unwrap()).unwrap();
            assert_eq!(region.level, RegionLevel::County, "{}", &f[2]);
            cities.insert(regions::city_of(&region.code).unwrap().code);
            assert!(f[1].ends_with("有限公司"));
            let industry = &f[4];
            assert!(('A'..='T').contains(&industry.chars().next().unwrap()));
            assert_eq!(industry.len(), 5);
            match &f[6] {
                "none" => assert!(f[7].is_empty()),
                "provincial" | "national" => assert!(!f[7].is_empty()),
                other => panic!("zone level {other}"),
            }
            assert!(matches!(&f[8], "true" | "false"));
            assert!(f[9].is_empty());
            assert!(matches!(&f[10], "unlisted" | "preparing" | "listed"));
            assert!(
                registered.insert(f[0].to_owned(), d(&f[3])).is_none(),
                "duplicate credit code {}",
                &f[0]
            );
        }
        assert_eq!(cities.len(), 13);
        registered
    }

    /// Annual reports: 3–5 per firm ending last year, after registration, rules kept.
    fn annual_reports_are_valid(dir: &Path, count: usize, registered: &HashMap<String, NaiveDate>) {
        let reports = read(dir, "annual_reports.csv");
        assert_eq!(reports.len(), count);
        let mut per_firm: HashMap<String, Vec<i32>> = HashMap::new();
        for r in &reports {
            let year: i32 = r[1].parse().unwrap();
            assert!(
                year > registered[&r[0]].year(),
                "report before registration"
            );
            per_firm.entry(r[0].to_owned()).or_default().push(year);
            let figures = ReportFigures {
                employees: opt(&r[2]),
                st_staff: opt(&r[3]),
                total_income_yuan: opt(&r[4]),
                sales_revenue_yuan: opt(&r[5]),
                hightech_income_yuan: opt(&r[6]),
                rd_expense_yuan: opt(&r[7]),
                rd_expense_domestic_yuan: opt(&r[8]),
                total_costs_yuan: opt(&r[9]),
                net_assets_yuan: opt(&r[10]),
                total_assets_yuan: opt(&r[11]),
                industrial_output_yuan: opt(&r[12]),
                tax_paid_yuan: opt(&r[13]),
                invention_patents: opt(&r[14]),
                class1_ip: opt(&r[15]),
                class2_ip: opt(&r[16]),
                new_ip: opt(&r[17]),
                conversions: opt(&r[18]),
                rd_institution: None,
            };
            assert!(figures.validate().is_empty(), "{:?}", figures.validate());
            assert!(matches!(
                &r[19],
                "none" | "enterprise" | "municipal" | "provincial" | "national"
            ));
        }
        assert_eq!(per_firm.len(), 500);
        for years in per_firm.values() {
            assert!((3..=5).contains(&years.len()));
            assert_eq!(*years.iter().max().unwrap(), 2025);
        }
    }

    fn pool_entries_certificates_and_labels_are_valid(
        dir: &Path,
        registered: &HashMap<String, NaiveDate>,
        today: NaiveDate,
    ) {
        let pool = read(dir, "pool_entries.csv");
        assert!((60..=150).contains(&pool.len()), "pool {}", pool.len());
        for p in &pool {
            let entered = d(&p[4]);
            assert!(entered > registered[&p[0]] && entered <= today);
            assert_eq!(entered.year().to_string(), &p[1]);
            if !p[5].is_empty() {
                assert!(d(&p[5]) >= entered && !p[6].is_empty());
            }
        }
        let certificates = read(dir, "certificates.csv");
        let holders: HashSet<&str> = certificates.iter().map(|c| &c[0]).collect();
        assert!((45..=110).contains(&holders.len()), "{}", holders.len());
        let mut numbers = HashSet::new();
        for c in &certificates {
            let issued = d(&c[2]);
            assert!(issued > registered[&c[0]] && issued <= today);
            CertificateNo::parse(&c[1], issued).unwrap();
            assert_eq!(&c[1][6..8], "32");
            assert!(numbers.insert(c[1].to_owned()), "duplicate {}", &c[1]);
        }
        let labels = read(dir, "labels.csv");
        assert!(!labels.is_empty());
        let mut keys = HashSet::new();
        for l in &labels {
            assert!(LabelKind::from_key(&l[1]).is_some(), "{}", &l[1]);
            assert!(LabelLevel::from_key(&l[3]).is_some(), "{}", &l[3]);
            let year: i32 = l[2].parse().unwrap();
            assert!(year > registered[&l[0]].year() && year <= 2026);
            assert!(keys.insert((l[0].to_owned(), l[1].to_owned(), year)));
        }
    }

    #[test]
    fn every_county_level_division_gets_firms() {
        let province = Province::new(57);
        let all: HashSet<String> = regions::all()
            .iter()
            .filter(|r| r.level == RegionLevel::County)
            .map(|r| r.code.to_string())
            .collect();
        assert_eq!(all.len(), 104);
        let covered: HashSet<String> = province.counties.iter().map(|c| c.code.clone()).collect();
        assert_eq!(covered, all);
        let mut previous = 0;
        for &c in &province.cumulative {
            assert!(c > previous, "every division has a positive weight");
            previous = c;
        }
        // Suzhou's share is about 22 %.
        let mut rng = Pcg::new(57, 0);
        let suzhou = (0..20_000)
            .filter(|_| province.county(&mut rng).code.starts_with("3205"))
            .count();
        assert!((4_000..4_800).contains(&suzhou), "{suzhou}");
    }
}
