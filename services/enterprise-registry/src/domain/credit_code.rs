//! Unified Social Credit Code (统一社会信用代码, GB 32100-2015).
//!
//! The code is the registry's natural key: it is assigned for life, so a
//! validated, canonical form is what every other module should hold.

use std::fmt;
use std::str::FromStr;

/// Symbol value is the index. I, O, S, V and Z are left out because they are
/// easily confused with 1, 0, 5, U and 2.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const MODULUS: u32 = 31;
const LEN: usize = 18;
const BODY_LEN: usize = LEN - 1;
/// 1-based positions of the registering authority's division code.
const DIVISION_FIRST: usize = 3;
const DIVISION_LAST: usize = 8;

/// A validated credit code in canonical (upper-case, trimmed) form.
///
/// The field is private so that holding a `CreditCode` proves it passed
/// every rule, check character included.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CreditCode(String);

/// Why an input is not a valid credit code. Each variant maps to one rule
/// (see [`CreditCodeError::rule`]) so an API can point at what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreditCodeError {
    /// Nothing left after trimming whitespace.
    Empty,
    /// Wrong number of characters (counted as chars, not bytes, so
    /// multi-byte input is reported the way a person would count it).
    Length { actual: usize },
    /// First character outside the alphabet; `position` is 1-based and
    /// `found` is the character as it was typed.
    Charset { position: usize, found: char },
    /// A character in the division code (positions 3-8) is not a digit;
    /// `position` is 1-based.
    DivisionNotDigits { position: usize },
    /// The check character does not match the first 17 characters.
    CheckCharacter { expected: char, found: char },
}

impl CreditCodeError {
    /// Stable, machine-readable rule id. Clients key on this, so these strings
    /// must not change even if the messages are reworded.
    #[must_use]
    pub fn rule(&self) -> &'static str {
        match self {
            CreditCodeError::Empty => "required",
            CreditCodeError::Length { .. } => "length",
            CreditCodeError::Charset { .. } => "charset",
            CreditCodeError::DivisionNotDigits { .. } => "division_digits",
            CreditCodeError::CheckCharacter { .. } => "check_character",
        }
    }
}

impl fmt::Display for CreditCodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreditCodeError::Empty => f.write_str("credit code is required"),
            CreditCodeError::Length { actual } => {
                write!(f, "credit code must be {LEN} characters long, got {actual}")
            }
            CreditCodeError::Charset { position, found } => write!(
                f,
                "character {found:?} at position {position} is not allowed; \
                 only digits 0-9 and letters A-Z except I, O, S, V and Z are used"
            ),
            CreditCodeError::DivisionNotDigits { position } => write!(
                f,
                "position {position} must be a digit: positions \
                 {DIVISION_FIRST}-{DIVISION_LAST} are the administrative division code"
            ),
            CreditCodeError::CheckCharacter { expected, found } => write!(
                f,
                "check character (position {LEN}) is '{found}' but the first \
                 {BODY_LEN} characters require '{expected}'"
            ),
        }
    }
}

impl CreditCodeError {
    /// What is wrong, in both languages, for a person correcting the code.
    pub fn text(&self) -> hte_shared::i18n::Text {
        let zh = match self {
            CreditCodeError::Empty => "统一社会信用代码为必填项".to_owned(),
            CreditCodeError::Length { actual } => {
                format!("统一社会信用代码须为 {LEN} 位，现为 {actual} 位")
            }
            CreditCodeError::Charset { position, found } => format!(
                "第 {position} 位的字符 {found:?} 不允许使用；只能使用数字 0-9 和除 I、O、S、V、Z \
                 以外的大写字母"
            ),
            CreditCodeError::DivisionNotDigits { position } => format!(
                "第 {position} 位须为数字：第 {DIVISION_FIRST}-{DIVISION_LAST} 位是登记管理机关\
                 行政区划码"
            ),
            CreditCodeError::CheckCharacter { expected, found } => format!(
                "校验码（第 {LEN} 位）为 '{found}'，但按前 {BODY_LEN} 位计算应为 '{expected}'"
            ),
        };
        hte_shared::i18n::Text::new(self.to_string(), zh)
    }
}

impl std::error::Error for CreditCodeError {}

fn value_of(c: char) -> Option<u32> {
    // Non-ASCII chars (e.g. full-width digits) can never match: `c as u8`
    // would truncate, so rule them out first.
    if !c.is_ascii() {
        return None;
    }
    let byte = c as u8;
    ALPHABET
        .iter()
        .position(|&b| b == byte)
        .and_then(|i| u32::try_from(i).ok())
}

fn symbol(value: u32) -> char {
    // Callers only pass values reduced mod 31, so the fallback is unreachable;
    // it exists to avoid a panicking index.
    usize::try_from(value)
        .ok()
        .and_then(|i| ALPHABET.get(i))
        .map_or('?', |&b| char::from(b))
}

/// Check value over the 17 body values: weights are 3^(i-1) mod 31.
fn check_value(values: &[u32; BODY_LEN]) -> u32 {
    let mut weight = 1;
    let mut sum = 0;
    for &v in values {
        sum = (sum + v * weight) % MODULUS;
        weight = weight * 3 % MODULUS;
    }
    (MODULUS - sum) % MODULUS
}

/// Check character for 17 body characters, or `None` if the input is not
/// exactly 17 alphabet symbols. Deliberately strict (no trimming, no case
/// folding): it is meant for generators building codes, not for user input.
#[must_use]
pub fn check_character(first17: &str) -> Option<char> {
    let mut values = [0u32; BODY_LEN];
    let mut chars = first17.chars();
    for slot in &mut values {
        *slot = value_of(chars.next()?)?;
    }
    if chars.next().is_some() {
        return None;
    }
    Some(symbol(check_value(&values)))
}

impl CreditCode {
    /// Validates and canonicalises user input.
    ///
    /// Surrounding whitespace is trimmed and ASCII letters are upper-cased
    /// because officials often type lower case; full-width characters are not
    /// folded, since silently rewriting them would hide data-entry problems.
    ///
    /// # Errors
    ///
    /// Returns the first rule that fails, in the order: required, length,
    /// charset, division digits, check character.
    pub fn parse(input: &str) -> Result<CreditCode, CreditCodeError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let actual = trimmed.chars().count();
        if actual != LEN {
            return Err(CreditCodeError::Length { actual });
        }

        let mut values = [0u32; LEN];
        for ((i, c), slot) in trimmed.chars().enumerate().zip(values.iter_mut()) {
            *slot = value_of(c.to_ascii_uppercase()).ok_or(CreditCodeError::Charset {
                position: i + 1,
                found: c,
            })?;
        }

        for (i, &v) in values
            .iter()
            .enumerate()
            .take(DIVISION_LAST)
            .skip(DIVISION_FIRST - 1)
        {
            if v >= 10 {
                return Err(CreditCodeError::DivisionNotDigits { position: i + 1 });
            }
        }

        let mut body = [0u32; BODY_LEN];
        body.copy_from_slice(&values[..BODY_LEN]);
        let expected = symbol(check_value(&body));
        let found = symbol(values[BODY_LEN]);
        if expected != found {
            return Err(CreditCodeError::CheckCharacter { expected, found });
        }

        Ok(CreditCode(values.iter().map(|&v| symbol(v)).collect()))
    }

    /// The canonical 18-character form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 3-8: the division of the authority that *issued* the code.
    /// The code never changes when a firm relocates or division codes are
    /// reorganised, so this is not the enterprise's current county; store
    /// that separately.
    #[must_use]
    pub fn registration_division(&self) -> &str {
        // The stored string is validated ASCII of length 18, so this range is
        // always on char boundaries.
        self.0.get(DIVISION_FIRST - 1..DIVISION_LAST).unwrap_or("")
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &[&str] = &[
        "914403001922038216",
        "91440300708461136T",
        "9144030071526726XG",
        "91110108551385082Q",
        "91330100799655058B",
    ];

    const SYNTHETIC: &[&str] = &[
        "91320583MA1N2P3Q0J",
        "91320106587654328F",
        "92321302MA1W7K8L32",
        "913202141000000590",
        "9132021410000093XY",
    ];

    fn parsed(s: &str) -> Result<String, CreditCodeError> {
        CreditCode::parse(s).map(|c| c.to_string())
    }

    #[test]
    fn accepts_real_and_synthetic_codes() {
        for &code in REAL.iter().chain(SYNTHETIC) {
            assert_eq!(parsed(code), Ok(code.to_string()), "{code}");
            assert_eq!(
                code.parse::<CreditCode>().map(|c| c.to_string()),
                Ok(code.to_string())
            );
        }
    }

    #[test]
    fn check_character_matches_reference() {
        for &code in REAL.iter().chain(SYNTHETIC) {
            let (body, check) = code.split_at(17);
            assert_eq!(check_character(body), check.chars().next(), "{code}");
        }
        // Edge cases: sum divisible by 31 gives '0'; value 30 gives 'Y'.
        assert_eq!(check_character("91320214100000059"), Some('0'));
        assert_eq!(check_character("9132021410000093X"), Some('Y'));
    }

    #[test]
    fn check_character_rejects_bad_input() {
        assert_eq!(check_character(""), None);
        assert_eq!(check_character("9144030019220382"), None);
        assert_eq!(check_character("914403001922038216"), None);
        assert_eq!(check_character("914403001922O3821"), None);
        assert_eq!(check_character("91440300mA1N2P3Q0"), None);
        assert_eq!(check_character(" 9144030019220382"), None);
        assert_eq!(check_character("9144030019220382０"), None);
    }

    #[test]
    fn accessors() {
        let Ok(code) = CreditCode::parse("91320583MA1N2P3Q0J") else {
            panic!("valid code rejected");
        };
        assert_eq!(code.as_str(), "91320583MA1N2P3Q0J");
        assert_eq!(code.as_ref() as &str, "91320583MA1N2P3Q0J");
        assert_eq!(code.registration_division(), "320583");
        assert_eq!(format!("{code}"), "91320583MA1N2P3Q0J");
    }

    #[test]
    fn wrong_check_character() {
        assert_eq!(
            parsed("914403001922038217"),
            Err(CreditCodeError::CheckCharacter {
                expected: '6',
                found: '7'
            })
        );
    }

    #[test]
    fn adjacent_swap_detected() {
        assert_eq!(
            parsed("914403001922083216"),
            Err(CreditCodeError::CheckCharacter {
                expected: 'X',
                found: '6'
            })
        );
    }

    #[test]
    fn single_substitution_detected() {
        assert_eq!(
            parsed("944403001922038216"),
            Err(CreditCodeError::CheckCharacter {
                expected: 'W',
                found: '6'
            })
        );
    }

    #[test]
    fn too_short() {
        assert_eq!(
            parsed("91440300192203821"),
            Err(CreditCodeError::Length { actual: 17 })
        );
    }

    #[test]
    fn too_long() {
        assert_eq!(
            parsed("9144030019220382166"),
            Err(CreditCodeError::Length { actual: 19 })
        );
    }

    #[test]
    fn letter_o_rejected() {
        assert_eq!(
            parsed("914403001922O38216"),
            Err(CreditCodeError::Charset {
                position: 13,
                found: 'O'
            })
        );
        // Lower-case 'o' is reported as typed.
        assert_eq!(
            parsed("914403001922o38216"),
            Err(CreditCodeError::Charset {
                position: 13,
                found: 'o'
            })
        );
    }

    #[test]
    fn letter_i_rejected() {
        assert_eq!(
            parsed("9144030019220382I6"),
            Err(CreditCodeError::Charset {
                position: 17,
                found: 'I'
            })
        );
    }

    #[test]
    fn lower_case_accepted_and_canonicalised() {
        assert_eq!(
            parsed("91440300708461136t"),
            Ok("91440300708461136T".to_string())
        );
        assert_eq!(
            parsed("91320583ma1n2p3q0j"),
            Ok("91320583MA1N2P3Q0J".to_string())
        );
        assert_eq!(
            CreditCode::parse("9144030071526726xg"),
            CreditCode::parse("9144030071526726XG")
        );
    }

    #[test]
    fn surrounding_whitespace_trimmed() {
        let canonical = Ok("914403001922038216".to_string());
        assert_eq!(parsed("914403001922038216 "), canonical);
        assert_eq!(parsed("  914403001922038216\t\n"), canonical);
        // Ideographic space (U+3000) and NBSP are common from CJK input methods / web forms.
        assert_eq!(parsed("\u{3000}914403001922038216\u{00A0}"), canonical);
    }

    #[test]
    fn inner_whitespace_is_not_trimmed() {
        assert!(matches!(
            parsed("9144030019 2038216"),
            Err(CreditCodeError::Charset {
                position: 11,
                found: ' '
            })
        ));
    }

    #[test]
    fn empty_input() {
        assert_eq!(parsed(""), Err(CreditCodeError::Empty));
        assert_eq!(parsed("   \t\u{3000}"), Err(CreditCodeError::Empty));
    }

    #[test]
    fn full_width_character_is_charset_error() {
        // 18 chars but more than 18 bytes: length must count chars.
        let input = "91440300192203821０";
        assert!(input.len() > 18);
        assert_eq!(
            parsed(input),
            Err(CreditCodeError::Charset {
                position: 18,
                found: '０'
            })
        );
        assert_eq!(
            parsed("９14403001922038216"),
            Err(CreditCodeError::Charset {
                position: 1,
                found: '９'
            })
        );
        // Too many chars still reports length, in chars.
        // The first offending character is reported.
        assert_eq!(
            parsed("9144030019220382１６"),
            Err(CreditCodeError::Charset {
                position: 17,
                found: '１'
            })
        );
        assert_eq!(
            parsed("914403001922038216０"),
            Err(CreditCodeError::Length { actual: 19 })
        );
    }

    #[test]
    fn division_must_be_digits() {
        // Check character recomputed so only the division rule fails.
        let body = "91A40300192203821";
        let Some(check) = check_character(body) else {
            panic!("body should be in alphabet");
        };
        let code = format!("{body}{check}");
        assert_eq!(
            parsed(&code),
            Err(CreditCodeError::DivisionNotDigits { position: 3 })
        );

        let body = "9144030A192203821";
        let Some(check) = check_character(body) else {
            panic!("body should be in alphabet");
        };
        let code = format!("{body}{check}");
        assert_eq!(
            parsed(&code),
            Err(CreditCodeError::DivisionNotDigits { position: 8 })
        );
    }

    #[test]
    fn letters_allowed_outside_division() {
        // Positions 1-2 and 9-17 may be letters, and unknown category pairs are accepted.
        let body = "YX320583MA1N2P3Q0";
        let Some(check) = check_character(body) else {
            panic!("body should be in alphabet");
        };
        assert!(CreditCode::parse(&format!("{body}{check}")).is_ok());
    }

    #[test]
    fn rule_ids_and_messages() {
        let cases = [
            (CreditCodeError::Empty, "required"),
            (CreditCodeError::Length { actual: 17 }, "length"),
            (
                CreditCodeError::Charset {
                    position: 13,
                    found: 'O',
                },
                "charset",
            ),
            (
                CreditCodeError::DivisionNotDigits { position: 3 },
                "division_digits",
            ),
            (
                CreditCodeError::CheckCharacter {
                    expected: '6',
                    found: '7',
                },
                "check_character",
            ),
        ];
        for (err, rule) in cases {
            assert_eq!(err.rule(), rule);
            assert!(!err.to_string().is_empty());
        }
        assert_eq!(
            CreditCodeError::CheckCharacter {
                expected: '6',
                found: '7'
            }
            .to_string(),
            "check character (position 18) is '7' but the first 17 characters require '6'"
        );
        let charset = CreditCodeError::Charset {
            position: 13,
            found: 'O',
        }
        .to_string();
        assert!(charset.contains("position 13"));
        assert!(charset.contains("I, O, S, V and Z"));
        assert!(
            CreditCodeError::Length { actual: 17 }
                .to_string()
                .contains("17")
        );
        let boxed: Box<dyn std::error::Error> = Box::new(CreditCodeError::Empty);
        assert_eq!(boxed.to_string(), "credit code is required");
    }

    const PROPERTY_CODES: &[&str] = &[
        "914403001922038216",
        "91320583MA1N2P3Q0J",
        "913202141000000590",
        "9132021410000093XY",
    ];

    #[test]
    fn every_single_substitution_rejected() {
        for &code in PROPERTY_CODES {
            let chars: Vec<char> = code.chars().collect();
            let mut tried = 0;
            for pos in 0..17 {
                for &b in ALPHABET {
                    let sub = char::from(b);
                    if sub == chars[pos] {
                        continue;
                    }
                    let mut mutated = chars.clone();
                    mutated[pos] = sub;
                    let mutated: String = mutated.into_iter().collect();
                    // The checksum alone must catch it, even where the
                    // division rule would also reject the input.
                    assert_ne!(check_character(&mutated[..17]), Some(chars[17]));
                    let result = CreditCode::parse(&mutated);
                    assert!(
                        matches!(
                            result,
                            Err(CreditCodeError::CheckCharacter { .. }
                                | CreditCodeError::DivisionNotDigits { .. })
                        ),
                        "{mutated} accepted or wrong error: {result:?}"
                    );
                    tried += 1;
                }
            }
            assert_eq!(tried, 17 * 30);
        }
    }

    #[test]
    fn every_adjacent_transposition_rejected() {
        for &code in PROPERTY_CODES {
            let chars: Vec<char> = code.chars().collect();
            for pos in 0..16 {
                if chars[pos] == chars[pos + 1] {
                    continue;
                }
                let mut mutated = chars.clone();
                mutated.swap(pos, pos + 1);
                let mutated: String = mutated.into_iter().collect();
                assert_ne!(check_character(&mutated[..17]), Some(chars[17]));
                let result = CreditCode::parse(&mutated);
                assert!(
                    matches!(
                        result,
                        Err(CreditCodeError::CheckCharacter { .. }
                            | CreditCodeError::DivisionNotDigits { .. })
                    ),
                    "{mutated} accepted or wrong error: {result:?}"
                );
            }
        }
    }
}
