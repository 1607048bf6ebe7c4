//! Exact arithmetic and the number/period formatting the advice texts share.
//!
//! Thresholds arrive as decimals; each is turned into integer parts per million once
//! ([`ppm`]) and every comparison is an `i128` cross-multiplication, so boundary cases such as
//! exactly 5 % or exactly ¥50,000,000 never depend on floating-point rounding.

/// Parts per million in one.
pub(crate) const PPM: i128 = 1_000_000;

/// A decimal threshold in integer parts per million (rounded to the nearest).
pub(crate) fn ppm(ratio: f64) -> i128 {
    // Saturating cast; `RuleSet::validate` keeps thresholds finite and in range.
    (ratio * 1_000_000.0).round() as i128
}

/// `num / den >= threshold_ppm / 10^6`, for `den > 0`.
pub(crate) fn ratio_at_least(num: i128, den: i128, threshold_ppm: i128) -> bool {
    num * PPM >= den * threshold_ppm
}

/// Smallest integer `>= a / b`, for `b > 0`.
pub(crate) fn ceil_div(a: i128, b: i128) -> i128 {
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

/// Exact shortfall of `num` below `threshold × den`, rounded up to a whole unit; 0 when met.
pub(crate) fn shortfall(num: i128, den: i128, threshold_ppm: i128) -> i128 {
    ceil_div(den * threshold_ppm - num * PPM, PPM).max(0)
}

/// Smallest `n >= 0` with `(num + n) / (den + n) >= threshold`, i.e. the amount to add when
/// whatever is added to the numerator also adds to the denominator (hiring S&T staff also adds
/// employees; new high-tech income also adds to total income). `None` when no `n` reaches the
/// threshold (a threshold of 100 % with `num < den`). With `den + n == 0` the ratio is undefined,
/// so at least one unit is required then.
pub(crate) fn additive_shortfall(num: i128, den: i128, threshold_ppm: i128) -> Option<i128> {
    let need = den * threshold_ppm - num * PPM;
    let n = if need <= 0 {
        0
    } else {
        let per_unit = PPM - threshold_ppm;
        if per_unit <= 0 {
            return None;
        }
        ceil_div(need, per_unit)
    };
    Some(if den + n <= 0 { 1 - den } else { n })
}

/// `a * b`, falling back to `None` on overflow.
pub(crate) fn mul(a: i128, b: i128) -> Option<i128> {
    a.checked_mul(b)
}

/// `num / den >= (10^6 + rate_ppm) / 10^6` (that is, `num / den - 1 >= rate`) for `den > 0`,
/// exactly when the products fit in `i128`, otherwise in `f64` (only reachable with figures far
/// beyond any real firm's).
pub(crate) fn growth_at_least(num: i128, den: i128, rate_ppm: i128, strict: bool) -> bool {
    let lhs = mul(num, PPM);
    let rhs = mul(den, PPM + rate_ppm);
    match (lhs, rhs) {
        (Some(l), Some(r)) => {
            if strict {
                l > r
            } else {
                l >= r
            }
        }
        _ => {
            let l = num as f64 / den as f64;
            let r = (PPM + rate_ppm) as f64 / PPM as f64;
            if strict { l > r } else { l >= r }
        }
    }
}

/// Clamp an exact amount into `i64` for output.
pub(crate) fn to_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// Ratio as `f64` for display; `None` when the denominator is not positive.
pub(crate) fn ratio_f64(num: i128, den: i128) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Micro-units (10^-6) as `f64`, for points kept exact in integer micro-points.
pub(crate) fn micro_to_f64(v: i128) -> f64 {
    v as f64 / PPM as f64
}

/// `1234567` → `1,234,567`.
pub(crate) fn group(v: i128) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0 {
        out.push('-');
    }
    let lead = digits.len() % 3;
    for (i, c) in digits.chars().enumerate() {
        if i != 0 && (i + 3 - lead) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `¥1,230,000`.
pub(crate) fn yuan_en(v: i128) -> String {
    if v < 0 {
        format!("-¥{}", group(-v))
    } else {
        format!("¥{}", group(v))
    }
}

/// `1,230,000元`.
pub(crate) fn yuan_zh(v: i128) -> String {
    format!("{}元", group(v))
}

/// A band edge in English: `¥50 million` when it is a whole number of millions.
pub(crate) fn yuan_round_en(v: i128) -> String {
    if v != 0 && v % 1_000_000 == 0 {
        format!("¥{} million", group(v / 1_000_000))
    } else {
        yuan_en(v)
    }
}

/// A band edge in Chinese: `2亿元`, `5,000万元`, otherwise `1,234元`.
pub(crate) fn yuan_round_zh(v: i128) -> String {
    if v != 0 && v % 100_000_000 == 0 {
        format!("{}亿元", group(v / 100_000_000))
    } else if v != 0 && v % 10_000 == 0 {
        format!("{}万元", group(v / 10_000))
    } else {
        yuan_zh(v)
    }
}

/// Parts per million as a percentage without trailing zeros: 50_000 → `5`, 45_000 → `4.5`.
fn pct_number(ppm_value: i128) -> String {
    let sign = if ppm_value < 0 { "-" } else { "" };
    let v = ppm_value.unsigned_abs();
    let whole = v / 10_000;
    let frac = v % 10_000;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:04}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// `5 %` (English style used across the service's texts).
pub(crate) fn pct_en(ppm_value: i128) -> String {
    format!("{} %", pct_number(ppm_value))
}

/// `5%`.
pub(crate) fn pct_zh(ppm_value: i128) -> String {
    format!("{}%", pct_number(ppm_value))
}

/// An observed ratio, rounded to 0.01 percentage point, for display only.
pub(crate) fn observed_pct_en(num: i128, den: i128) -> String {
    pct_en(observed_ppm(num, den))
}

pub(crate) fn observed_pct_zh(num: i128, den: i128) -> String {
    pct_zh(observed_ppm(num, den))
}

fn observed_ppm(num: i128, den: i128) -> i128 {
    if den <= 0 {
        return 0;
    }
    // Hundredths of a percent, rounded half away from zero, then back to ppm.
    let doubled = num * 20_000 / den;
    let hundredths = if doubled >= 0 {
        (doubled + 1) / 2
    } else {
        (doubled - 1) / 2
    };
    hundredths * 100
}

/// Points kept in micro-points, shown with at most one decimal: 61_200_000 → `61.2`.
pub(crate) fn points_text(micro: i128) -> String {
    let tenths = if micro >= 0 {
        (micro + 50_000) / 100_000
    } else {
        (micro - 50_000) / 100_000
    };
    if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, (tenths % 10).abs())
    }
}

/// `1 year`, `3 years`.
pub(crate) fn plural(n: i128, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// `2023–2025` or `2025`.
pub(crate) fn years_text(years: &[i32]) -> String {
    match (years.first(), years.last()) {
        (Some(first), Some(last)) if first != last => format!("{first}–{last}"),
        (Some(only), _) => only.to_string(),
        _ => String::from("-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppm_and_comparisons() {
        assert_eq!(ppm(0.05), 50_000);
        assert_eq!(ppm(0.1), 100_000);
        assert_eq!(ppm(0.6), 600_000);
        assert_eq!(ppm(0.07), 70_000); // 0.07 * 1e6 = 70000.00000000001
        assert!(ratio_at_least(5, 100, 50_000));
        assert!(!ratio_at_least(4_999_999, 100_000_000, 50_000));
        assert!(ratio_at_least(5_000_000, 100_000_000, 50_000));
    }

    #[test]
    fn ceil_and_shortfalls() {
        assert_eq!(ceil_div(10, 5), 2);
        assert_eq!(ceil_div(11, 5), 3);
        assert_eq!(ceil_div(-11, 5), -2);
        assert_eq!(ceil_div(0, 5), 0);
        // 5 % of 100,000,001 = 5,000,000.05 -> need 5,000,001.
        assert_eq!(shortfall(0, 100_000_001, 50_000), 5_000_001);
        assert_eq!(shortfall(5_000_001, 100_000_001, 50_000), 0);
        assert_eq!(shortfall(10, 100, 50_000), 0);
        // (9 + n) / (100 + n) >= 10 % -> n >= 1/0.9 -> 2.
        assert_eq!(additive_shortfall(9, 100, 100_000), Some(2));
        assert_eq!(additive_shortfall(10, 100, 100_000), Some(0));
        assert_eq!(additive_shortfall(0, 0, 100_000), Some(1));
        assert_eq!(additive_shortfall(1, 2, 1_000_000), None);
    }

    #[test]
    fn growth_comparison() {
        assert!(growth_at_least(135, 100, 350_000, false));
        assert!(!growth_at_least(135, 100, 350_000, true));
        assert!(growth_at_least(101, 100, 0, true));
        assert!(!growth_at_least(100, 100, 0, true));
        // Overflowing products fall back to f64.
        assert!(growth_at_least(i128::MAX / 2, 1, 350_000, false));
    }

    #[test]
    fn formatting() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(1_230_000), "1,230,000");
        assert_eq!(group(-12_345), "-12,345");
        assert_eq!(yuan_en(1_230_000), "¥1,230,000");
        assert_eq!(yuan_zh(1_230_000), "1,230,000元");
        assert_eq!(yuan_round_en(50_000_000), "¥50 million");
        assert_eq!(yuan_round_en(50_000_001), "¥50,000,001");
        assert_eq!(yuan_round_zh(50_000_000), "5,000万元");
        assert_eq!(yuan_round_zh(200_000_000), "2亿元");
        assert_eq!(pct_en(50_000), "5 %");
        assert_eq!(pct_zh(45_000), "4.5%");
        assert_eq!(pct_zh(123), "0.0123%");
        assert_eq!(observed_pct_en(1, 3), "33.33 %");
        assert_eq!(observed_pct_zh(2, 3), "66.67%");
        assert_eq!(points_text(61_200_000), "61.2");
        assert_eq!(points_text(71_000_000), "71");
        assert_eq!(years_text(&[2023, 2024, 2025]), "2023–2025");
        assert_eq!(years_text(&[2025]), "2025");
    }
}
