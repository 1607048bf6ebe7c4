//! Exact fractions. Shares, completion rates and comparisons with targets are computed on
//! integers so that two regions with the same achievement rank equal and a share of exactly
//! 60% meets a 60% target; decimals appear only at the edge ([`Ratio::to_f64`],
//! [`Ratio::to_decimal`]).

use std::cmp::Ordering;
use std::fmt;

/// A fraction `num / den` in lowest terms with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl Ratio {
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den`, or `None` when `den` is 0.
    pub fn new(num: i128, den: i128) -> Option<Self> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den);
        let sign = if den < 0 { -1 } else { 1 };
        Some(Self {
            num: sign * num / g,
            den: sign * den / g,
        })
    }

    pub fn integer(n: i64) -> Self {
        Self {
            num: i128::from(n),
            den: 1,
        }
    }

    pub fn numer(self) -> i128 {
        self.num
    }

    pub fn denom(self) -> i128 {
        self.den
    }

    pub fn is_negative(self) -> bool {
        self.num < 0
    }

    pub fn is_zero(self) -> bool {
        self.num == 0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        let num = self
            .num
            .checked_mul(other.den)?
            .checked_add(other.num.checked_mul(self.den)?)?;
        Self::new(num, self.den.checked_mul(other.den)?)
    }

    pub fn checked_sub(self, other: Self) -> Option<Self> {
        self.checked_add(Self {
            num: other.num.checked_neg()?,
            den: other.den,
        })
    }

    pub fn checked_mul(self, other: Self) -> Option<Self> {
        Self::new(
            self.num.checked_mul(other.num)?,
            self.den.checked_mul(other.den)?,
        )
    }

    /// `self ÷ other`; `None` when `other` is 0 or on overflow.
    pub fn checked_div(self, other: Self) -> Option<Self> {
        Self::new(
            self.num.checked_mul(other.den)?,
            self.den.checked_mul(other.num)?,
        )
    }

    /// Parses a plain decimal such as `30000`, `0.45` or `-1.5` exactly (no exponent).
    pub fn parse_decimal(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        let invalid = || format!("not a decimal number: {raw:?}");
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return Err(invalid());
        }
        if digits.contains('.') && fraction.is_empty() {
            return Err(invalid());
        }
        // 30 significant digits keep every product of two such values inside i128.
        if whole.len() + fraction.len() > 30 {
            return Err(format!("too many digits: {raw:?}"));
        }
        let scale = 10_i128.pow(u32::try_from(fraction.len()).map_err(|_| invalid())?);
        let num: i128 = format!("{whole}{fraction}")
            .parse()
            .map_err(|_| invalid())?;
        Self::new(if negative { -num } else { num }, scale).ok_or_else(invalid)
    }

    /// The decimal a JSON number was written as (`0.6` is 3/5, not the nearest binary
    /// fraction); `None` for NaN and infinities.
    pub fn from_f64_decimal(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        // Display gives the shortest decimal that reads back as the same f64, never an
        // exponent.
        Self::parse_decimal(&value.to_string()).ok()
    }

    /// The nearest f64, for JSON and for estimates that need no exactness.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Rounded to `places` decimals (at most 18), half away from zero, by long division so
    /// that no intermediate product overflows.
    pub fn to_decimal(self, places: u32) -> String {
        let places = places.min(18) as usize;
        let n = self.num.unsigned_abs();
        let den = self.den.unsigned_abs();
        let mut whole = n / den;
        let mut rem = n % den;
        let mut digits: Vec<u8> = Vec::with_capacity(places);
        for _ in 0..places {
            // rem < den, and den ≤ i128::MAX, so rem·10 fits in u128.
            rem *= 10;
            digits.push((rem / den) as u8);
            rem %= den;
        }
        if rem >= den - rem {
            // Round up, carrying through the digits into the whole part.
            let mut carry = true;
            for digit in digits.iter_mut().rev() {
                if *digit == 9 {
                    *digit = 0;
                } else {
                    *digit += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                whole += 1;
            }
        }
        let is_zero = whole == 0 && digits.iter().all(|d| *d == 0);
        let sign = if self.num < 0 && !is_zero { "-" } else { "" };
        let fraction: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        if places == 0 {
            format!("{sign}{whole}")
        } else {
            format!("{sign}{whole}.{fraction}")
        }
    }

    /// The exact decimal when the fraction has one of at most 12 places, shortest form
    /// (`3/5` → `0.6`, `30000` → `30000`); otherwise rounded to 12 places.
    pub fn to_exact_decimal(self) -> String {
        let (mut den, mut twos, mut fives) = (self.den, 0_u32, 0_u32);
        while den % 2 == 0 {
            den /= 2;
            twos += 1;
        }
        while den % 5 == 0 {
            den /= 5;
            fives += 1;
        }
        let places = twos.max(fives);
        if den == 1 && places <= 12 {
            self.to_decimal(places)
        } else {
            self.to_decimal(12)
        }
    }
}

impl Ord for Ratio {
    /// Exact, without overflow: compares integer parts, then the reciprocals of the
    /// fractional parts (the continued-fraction expansion).
    fn cmp(&self, other: &Self) -> Ordering {
        let (mut a, mut b, mut c, mut d) = (self.num, self.den, other.num, other.den);
        let mut flipped = false;
        loop {
            let (qa, ra) = (a.div_euclid(b), a.rem_euclid(b));
            let (qc, rc) = (c.div_euclid(d), c.rem_euclid(d));
            let order = match qa.cmp(&qc) {
                Ordering::Equal => match (ra == 0, rc == 0) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    // ra/b against rc/d is b/ra against d/rc, reversed.
                    (false, false) => {
                        (a, b, c, d) = (b, ra, d, rc);
                        flipped = !flipped;
                        continue;
                    }
                },
                unequal => unequal,
            };
            return if flipped { order.reverse() } else { order };
        }
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Serde for an optional exact decimal: read from a JSON number or a decimal string as the
/// decimal it was written as, written as a JSON number.
pub mod optional_decimal {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Ratio;

    pub fn serialize<S: Serializer>(value: &Option<Ratio>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            None => s.serialize_none(),
            Some(ratio) => match ratio.to_exact_decimal().parse::<f64>() {
                Ok(number) => s.serialize_f64(number),
                Err(e) => Err(serde::ser::Error::custom(e)),
            },
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Ratio>, D::Error> {
        let text = match Option::<serde_json::Value>::deserialize(d)? {
            None | Some(serde_json::Value::Null) => return Ok(None),
            Some(serde_json::Value::Number(n)) => n.to_string(),
            Some(serde_json::Value::String(s)) => s,
            Some(other) => {
                return Err(serde::de::Error::custom(format!(
                    "expected a decimal number, got {other}"
                )));
            }
        };
        Ratio::parse_decimal(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn fractions_are_kept_in_lowest_terms_with_a_positive_denominator() {
        let cases = [
            ((6, 4), (3, 2)),
            ((-6, 4), (-3, 2)),
            ((6, -4), (-3, 2)),
            ((-6, -4), (3, 2)),
            ((0, -7), (0, 1)),
        ];
        for ((n, d), (en, ed)) in cases {
            let x = r(n, d);
            assert_eq!((x.numer(), x.denom()), (en, ed), "{n}/{d}");
        }
        assert_eq!(Ratio::new(1, 0), None);
    }

    #[test]
    fn decimals_parse_exactly_or_are_refused() {
        let cases = [
            ("0.45", Some(r(9, 20))),
            ("30000", Some(r(30000, 1))),
            (" 0.6 ", Some(r(3, 5))),
            ("-1.5", Some(r(-3, 2))),
            ("+2", Some(r(2, 1))),
            ("1.000", Some(r(1, 1))),
            ("", None),
            (".5", None),
            ("5.", None),
            ("1e3", None),
            ("1.2.3", None),
            ("--1", None),
            ("一", None),
            ("1234567890123456789012345678901", None),
        ];
        for (raw, expected) in cases {
            assert_eq!(Ratio::parse_decimal(raw).ok(), expected, "{raw:?}");
        }
    }

    #[test]
    fn json_numbers_are_read_as_the_decimals_they_were_written_as() {
        assert_eq!(Ratio::from_f64_decimal(0.6), Some(r(3, 5)));
        assert_eq!(Ratio::from_f64_decimal(150000.0), Some(r(150000, 1)));
        assert_eq!(Ratio::from_f64_decimal(0.0000001), Some(r(1, 10_000_000)));
        assert_eq!(Ratio::from_f64_decimal(f64::NAN), None);
        assert_eq!(Ratio::from_f64_decimal(f64::INFINITY), None);
    }

    #[test]
    fn comparison_is_exact_where_floats_are_not() {
        // 2/1924 < 2/1923 though both round to 0.001040 at six places.
        assert!(r(2, 1924) < r(2, 1923));
        assert_eq!(r(1, 10_000), r(2, 20_000));
        assert!(r(-1, 3) < r(-1, 4));
        assert!(r(-5, 2) < r(-2, 1));
        assert!(r(7, 3) > r(2, 1));
        assert_eq!(r(6, 3).cmp(&Ratio::integer(2)), Ordering::Equal);
        // Numerators near i64::MAX compare without overflow.
        let big = i128::from(i64::MAX);
        assert!(r(big - 1, big) < r(big, big + 1));
        let mut list = vec![r(1, 2), r(-1, 2), r(1, 3), Ratio::ZERO, r(2, 3)];
        list.sort();
        assert_eq!(list, vec![r(-1, 2), Ratio::ZERO, r(1, 3), r(1, 2), r(2, 3)]);
    }

    #[test]
    fn ordering_agrees_with_cross_multiplication() {
        for a in -12..=12 {
            for b in 1..=12 {
                for c in -12..=12 {
                    for d in 1..=12 {
                        assert_eq!(
                            r(a, b).cmp(&r(c, d)),
                            (a * d).cmp(&(c * b)),
                            "{a}/{b} {c}/{d}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        assert_eq!(r(1, 3).checked_add(r(1, 6)), Some(r(1, 2)));
        assert_eq!(r(1, 3).checked_sub(r(1, 2)), Some(r(-1, 6)));
        assert_eq!(r(2, 3).checked_mul(r(3, 4)), Some(r(1, 2)));
        assert_eq!(r(2, 3).checked_div(r(4, 3)), Some(r(1, 2)));
        assert_eq!(r(2, 3).checked_div(Ratio::ZERO), None);
        assert_eq!(r(i128::MAX, 1).checked_add(Ratio::ONE), None);
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        let cases = [
            (r(2, 3), 4, "0.6667"),
            (r(1, 8), 2, "0.13"),
            (r(-1, 8), 2, "-0.13"),
            (r(1, 3), 0, "0"),
            (r(5, 2), 0, "3"),
            (r(-1, 1000), 2, "0.00"),
            (r(123_456, 1), 2, "123456.00"),
            (r(9999, 10_000), 2, "1.00"),
        ];
        for (x, places, expected) in cases {
            assert_eq!(x.to_decimal(places), expected, "{x} at {places}");
        }
        assert_eq!(r(3, 5).to_exact_decimal(), "0.6");
        assert_eq!(r(30000, 1).to_exact_decimal(), "30000");
        assert_eq!(r(1, 3).to_exact_decimal(), "0.333333333333");
        assert_eq!(r(9, 20).to_f64(), 0.45);
    }
}
