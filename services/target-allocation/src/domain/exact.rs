//! Exact numbers for scoring: decimals with four places as integers ([`Dec4`]), fractions in
//! 128 bits whose every operation is checked ([`Ratio`]), and scores kept in millionths of a
//! point. Nothing is rounded through floating point; floats appear only for display.

use std::cmp::Ordering;
use std::fmt;

/// Ten-thousandths per unit: the resolution of every number a scoring scheme holds.
pub const SCALE: i64 = 10_000;

/// Millionths of a point per point: the resolution scores are kept and added up at.
pub const MICRO: i64 = 1_000_000;

/// A decimal with at most four places, e.g. a weight of 62.5 is `Dec4(625_000)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec4(i64);

impl Dec4 {
    pub const ZERO: Dec4 = Dec4(0);

    pub const fn whole(n: i64) -> Self {
        Self(n * SCALE)
    }

    /// `units` ten-thousandths.
    pub const fn from_units(units: i64) -> Self {
        Self(units)
    }

    pub const fn units(self) -> i64 {
        self.0
    }

    /// A number sent as JSON, if it lies within `min..=max` and has at most four decimals.
    /// The bounds are checked first, so the scaled value is small and its rounding test
    /// exact (1e-308 is below every minimum; 1.23456 has five decimals).
    ///
    /// The error carries its rule: `range` (the document's minimum and maximum) or
    /// `decimals` (which a JSON Schema `multipleOf` cannot state reliably for binary floats).
    pub fn parse(
        value: f64,
        min: Dec4,
        max: Dec4,
    ) -> Result<Self, (&'static str, hte_shared::i18n::Text)> {
        if !value.is_finite() || value < min.to_f64() || value > max.to_f64() {
            return Err((
                "range",
                hte_shared::text!(
                    "must lie between {min} and {max}; got {value}",
                    "须在 {min} 至 {max} 之间，现为 {value}"
                ),
            ));
        }
        let scaled = value * SCALE as f64;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err((
                "decimals",
                hte_shared::text!(
                    "has at most 4 decimal places; got {value}",
                    "最多保留 4 位小数，现为 {value}"
                ),
            ));
        }
        // |rounded| ≤ max × 10⁴, far inside i64.
        Ok(Self(rounded as i64))
    }

    /// For display and JSON: exact for four places within ±2⁵³ ten-thousandths.
    pub fn to_f64(self) -> f64 {
        self.0 as f64 / SCALE as f64
    }

    pub fn checked_add(self, other: Dec4) -> Option<Dec4> {
        self.0.checked_add(other.0).map(Dec4)
    }
}

impl fmt::Display for Dec4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let scale = SCALE.unsigned_abs();
        let (whole, frac) = (abs / scale, abs % scale);
        if frac == 0 {
            write!(f, "{sign}{whole}")
        } else {
            let digits = format!("{frac:04}");
            write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
        }
    }
}

/// An exact fraction `num / den` with `den > 0`, kept in lowest terms. Every operation
/// returns `None` rather than overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> u128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    /// `num / den`; `None` when `den` is 0.
    pub fn new(num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let (num, den) = if den < 0 {
            (num.checked_neg()?, den.checked_neg()?)
        } else {
            (num, den)
        };
        // den > 0 here, so the divisor is at most den and fits.
        let g = i128::try_from(gcd(num, den).max(1)).ok()?;
        Some(Self {
            num: num / g,
            den: den / g,
        })
    }

    pub fn int(n: i64) -> Self {
        Self {
            num: i128::from(n),
            den: 1,
        }
    }

    pub fn dec(d: Dec4) -> Self {
        Self::new(i128::from(d.units()), i128::from(SCALE)).unwrap_or(Self::int(0))
    }

    pub fn checked_mul(self, other: Ratio) -> Option<Self> {
        Self::new(
            self.num.checked_mul(other.num)?,
            self.den.checked_mul(other.den)?,
        )
    }

    pub fn checked_add(self, other: Ratio) -> Option<Self> {
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_add(other.num.checked_mul(self.den)?)?;
        Self::new(num, self.den.checked_mul(other.den)?)
    }

    pub fn checked_sub(self, other: Ratio) -> Option<Self> {
        self.checked_add(Self {
            num: other.num.checked_neg()?,
            den: other.den,
        })
    }

    pub fn checked_cmp(self, other: Ratio) -> Option<Ordering> {
        Some(
            self.num
                .checked_mul(other.den)?
                .cmp(&other.num.checked_mul(self.den)?),
        )
    }

    pub fn checked_min(self, other: Ratio) -> Option<Self> {
        Some(match self.checked_cmp(other)? {
            Ordering::Greater => other,
            _ => self,
        })
    }

    pub fn is_positive(self) -> bool {
        self.num > 0
    }

    /// In millionths, rounded half away from zero.
    pub fn to_micro(self) -> Option<i64> {
        let scaled = self.num.checked_mul(i128::from(MICRO))?;
        let half = self.den / 2;
        let rounded = if scaled >= 0 {
            scaled.checked_add(half)? / self.den
        } else {
            scaled.checked_sub(half)? / self.den
        };
        i64::try_from(rounded).ok()
    }

    /// For display: rounded to six decimals.
    pub fn to_f64(self) -> f64 {
        self.to_micro()
            .map_or(self.num as f64 / self.den as f64, micro_to_f64)
    }
}

/// Millionths of a point as a JSON number with at most six decimals.
pub fn micro_to_f64(micro: i64) -> f64 {
    micro as f64 / MICRO as f64
}

/// A four-place decimal in millionths.
pub fn dec_to_micro(d: Dec4) -> Option<i64> {
    d.units().checked_mul(MICRO / SCALE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_with_bounds_and_places() {
        let (min, max) = (Dec4::from_units(100), Dec4::whole(100));
        assert_eq!(Dec4::parse(62.5, min, max), Ok(Dec4::from_units(625_000)));
        assert_eq!(Dec4::parse(0.1234, min, max), Ok(Dec4::from_units(1234)));
        assert!(Dec4::parse(1e-308, min, max).is_err());
        assert!(Dec4::parse(1e308, min, max).is_err());
        assert!(Dec4::parse(f64::NAN, min, max).is_err());
        assert!(Dec4::parse(1.23456, min, max).is_err());
        assert_eq!(Dec4::from_units(12_000).to_string(), "1.2");
        assert_eq!(Dec4::from_units(-5).to_string(), "-0.0005");
        assert_eq!(Dec4::whole(100).to_string(), "100");
    }

    #[test]
    fn fractions_are_exact_and_checked() {
        let third = Ratio::new(1, 3).unwrap();
        let sum = third
            .checked_add(third)
            .unwrap()
            .checked_add(third)
            .unwrap();
        assert_eq!(sum, Ratio::int(1));
        assert_eq!(third.to_micro(), Some(333_333));
        assert_eq!(Ratio::new(2, 3).unwrap().to_micro(), Some(666_667));
        assert_eq!(Ratio::new(-1, 2_000_000).unwrap().to_micro(), Some(-1));
        assert_eq!(Ratio::new(5, -10).unwrap(), Ratio::new(-1, 2).unwrap());
        let huge = Ratio::int(i64::MAX);
        assert!(
            huge.checked_mul(huge).unwrap().checked_mul(huge).is_none(),
            "overflow is None"
        );
        assert!(Ratio::new(1, 0).is_none());
        assert_eq!(
            Ratio::new(2, 1924)
                .unwrap()
                .checked_cmp(Ratio::new(2, 1923).unwrap()),
            Some(Ordering::Less)
        );
    }
}
