//! Plan ids (规划编号): the allocation service chooses them and puts them in its paths; the
//! monitoring service takes them from its callers to ask for a plan. One rule for both, so a
//! plan id one service accepts is never refused by the other; each service words its own
//! refusal.

/// Whether `id` is a plan id: a readable, stable slug of 3–64 lowercase letters, digits and
/// hyphens, starting and ending with a letter or digit, e.g. `jiangsu-2019-57`.
pub fn is_valid(id: &str) -> bool {
    (3..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn slugs_pass_and_everything_else_is_refused() {
        for good in ["jiangsu-2019-57", "abc", &"a".repeat(64)] {
            assert!(is_valid(good), "{good}");
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
            assert!(!is_valid(bad), "{bad}");
        }
    }
}
