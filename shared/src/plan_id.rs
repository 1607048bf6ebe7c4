//! Plan ids (规划编号): the allocation service chooses them and puts them in its paths; the
//! monitoring service takes them from its callers to ask for a plan. One rule for both, so a
//! plan id one service accepts is never refused by the other.

use crate::i18n::{Text, quote};

/// Checks a plan id: a readable, stable slug of 3–64 lowercase letters, digits and hyphens,
/// starting and ending with a letter or digit, e.g. `jiangsu-2019-57`.
pub fn check(id: &str) -> Result<(), Text> {
    let ok = (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok {
        Ok(())
    } else {
        let shown = quote(id);
        Err(crate::text!(
            "a plan id is 3–64 lowercase letters, digits and hyphens, e.g. jiangsu-2019-57; got {shown}",
            "规划编号须为 3 至 64 个小写字母、数字或连字符，如 jiangsu-2019-57，收到的是 {shown}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn slugs_pass_and_everything_else_is_refused() {
        for good in ["jiangsu-2019-57", "abc", &"a".repeat(64)] {
            assert!(check(good).is_ok(), "{good}");
        }
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "Abc",
            "a_b",
            "规划一",
            "",
            &"a".repeat(65),
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
