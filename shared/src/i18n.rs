//! Texts people read, in English and Chinese, and the language a request asks for.
//!
//! Errors carry a [`Text`] with both languages; the language is chosen once, where the
//! response is written ([`crate::problem::problem_json_middleware`]), from the request's
//! `Accept-Language`. Build texts with [`text!`](crate::text):
//!
//! ```
//! use hte_shared::text;
//! let year = 1899;
//! let message = text!("year {year} is before 1900", "年份 {year} 早于 1900 年");
//! assert_eq!(message.en(), "year 1899 is before 1900");
//! assert_eq!(message.zh(), "年份 1899 早于 1900 年");
//! ```
//!
//! There is deliberately no conversion from `String` or `&str`: a message without its Chinese
//! text does not compile. Text that is not ours to translate says so through its constructor,
//! [`Text::received`] (a message written elsewhere), which only this module and the rejection
//! fallback use (a test holds that).

use std::borrow::Cow;
use std::fmt;

use actix_web::http::header::{self, HeaderMap};
use actix_web::{FromRequest, HttpRequest};

/// A language the services answer in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The `Content-Language` value of an answer in this language.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The preferred language of an `Accept-Language` value (RFC 9110 §12.5.4): the
    /// supported range with the highest q-value, the first listed among equals; any `zh`
    /// (`zh`, `zh-CN`, `zh-Hans`, `zh-TW`) is Chinese; English when nothing supported is
    /// asked for.
    pub fn from_accept_language(value: &str) -> Self {
        let mut best: Option<(u16, Lang)> = None;
        for range in value.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let quality = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
                .map(parse_quality)
                .next()
                .unwrap_or(Some(1000));
            let Some(quality) = quality.filter(|q| *q > 0) else {
                continue;
            };
            let primary = tag.split('-').next().unwrap_or_default();
            let lang = if primary.eq_ignore_ascii_case("zh") {
                Lang::Zh
            } else if primary.eq_ignore_ascii_case("en") || primary == "*" {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    /// The language asked for by a request's headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map_or(Lang::En, Lang::from_accept_language)
    }
}

/// A q-value in thousandths (`0.5` → 500); `None` when it is not one.
fn parse_quality(raw: &str) -> Option<u16> {
    let raw = raw.trim();
    let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The request's language, for handlers that write texts of their own (exports, labels).
impl FromRequest for Lang {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(Lang::from_headers(req.headers())))
    }
}

/// A text in English and, when written, Chinese.
///
/// `Display`, `Deref<Target = str>` and `From<Text> for String` give the English text, so
/// code that treated these texts as strings keeps working.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    en: Cow<'static, str>,
    zh: Option<Cow<'static, str>>,
}

impl Text {
    /// Both languages.
    pub fn new(en: impl Into<Cow<'static, str>>, zh: impl Into<Cow<'static, str>>) -> Self {
        Self {
            en: en.into(),
            zh: Some(zh.into()),
        }
    }

    /// Both languages, from literals (no allocation).
    pub const fn fixed(en: &'static str, zh: &'static str) -> Self {
        Self {
            en: Cow::Borrowed(en),
            zh: Some(Cow::Borrowed(zh)),
        }
    }

    /// A message written elsewhere, passed on as received: another service's problem text
    /// (already in the language it was asked in) or a third-party parser's wording that no
    /// rule here recognises. Never for a message of our own: those use [`text!`](crate::text).
    pub fn received(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            en: message.into(),
            zh: None,
        }
    }

    pub fn en(&self) -> &str {
        &self.en
    }

    /// The Chinese text, or the English one when none was written.
    pub fn zh(&self) -> &str {
        self.zh.as_deref().unwrap_or(&self.en)
    }

    pub fn has_chinese(&self) -> bool {
        self.zh.is_some()
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => self.en(),
            Lang::Zh => self.zh(),
        }
    }

    /// Both texts cut to at most `max_chars` characters (an ellipsis marks the cut).
    pub fn truncated(&self, max_chars: usize) -> Self {
        let cut = |text: &Cow<'static, str>| match truncate(text, max_chars) {
            Cow::Borrowed(_) => text.clone(),
            Cow::Owned(cut) => Cow::Owned(cut),
        };
        Self {
            en: cut(&self.en),
            zh: self.zh.as_ref().map(cut),
        }
    }
}

/// `text` cut to at most `max_chars` characters, the last of them an ellipsis when cut.
pub fn truncate(text: &str, max_chars: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max_chars) {
        None => Cow::Borrowed(text),
        Some(_) => {
            let keep = text
                .char_indices()
                .nth(max_chars.saturating_sub(1))
                .map_or(text.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &text[..keep]))
        }
    }
}

/// Builds a bilingual [`Text`]: `text!("english {x}", "中文 {x}")`. Both strings are format
/// strings over the same arguments (inline `{name}` captures, or trailing arguments that both
/// use).
#[macro_export]
macro_rules! text {
    ($en:literal, $zh:literal $(,)?) => {
        $crate::i18n::Text::new(::std::format!($en), ::std::format!($zh))
    };
    ($en:literal, $zh:literal, $($arg:expr),+ $(,)?) => {
        $crate::i18n::Text::new(
            ::std::format!($en, $($arg),+),
            ::std::format!($zh, $($arg),+),
        )
    };
}

impl From<Text> for String {
    fn from(text: Text) -> Self {
        text.en.into_owned()
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.en
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.en == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.en == *other
    }
}

/// Serialised as the English text (stored or forwarded problems); answers to clients are
/// written in the request's language by the problem middleware.
impl serde::Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.en)
    }
}

/// A problem read from another service holds one language, whichever it was asked in.
impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Text::received)
    }
}

/// A short, printable quotation of a value someone sent, for messages: at most
/// [`QUOTE_MAX_CHARS`] characters, control characters escaped, in double quotes. Messages
/// must never echo a whole value (a megabyte field would come back twice its size).
pub fn quote(value: &str) -> String {
    let mut out = String::from("\"");
    for (count, c) in value.chars().enumerate() {
        if count == QUOTE_MAX_CHARS {
            out.push('…');
            break;
        }
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.extend(c.escape_default()),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How many characters of a value [`quote`] shows.
pub const QUOTE_MAX_CHARS: usize = 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_range() {
        for (header, expected) in [
            ("zh", Lang::Zh),
            ("zh-CN", Lang::Zh),
            ("zh-Hans", Lang::Zh),
            ("zh-Hans-CN,zh;q=0.9", Lang::Zh),
            ("ZH-cn", Lang::Zh),
            ("en-US,en;q=0.9,zh-CN;q=0.8", Lang::En),
            ("en;q=0.5, zh;q=0.8", Lang::Zh),
            ("zh;q=0.5, en;q=0.8", Lang::En),
            ("fr, zh;q=0.1", Lang::Zh),
            ("zh;q=0, en;q=0.1", Lang::En),
            ("zh;q=0", Lang::En),
            ("fr-FR, de", Lang::En),
            ("*", Lang::En),
            ("", Lang::En),
            ("zh;q=2", Lang::En),
            ("zh; q=0.700, en;q=0.7", Lang::Zh),
        ] {
            assert_eq!(Lang::from_accept_language(header), expected, "{header:?}");
        }
    }

    #[test]
    fn texts_fall_back_to_english_and_format_both_languages() {
        let n = 3;
        let both = crate::text!("{n} fields", "{n} 个字段");
        assert_eq!(
            (both.get(Lang::En), both.get(Lang::Zh)),
            ("3 fields", "3 个字段")
        );
        let positional = crate::text!("{} of {}", "{1} 中的 {0}", 1, 2);
        assert_eq!(positional.zh(), "2 中的 1");
        let received = Text::received("only English");
        assert_eq!(received.get(Lang::Zh), "only English");
        assert!(!received.has_chinese());
        assert_eq!(String::from(both.clone()), "3 fields");
        assert!(both.contains("fields"));
    }

    /// Every message of ours has its Chinese: the English-only constructor is used only where a
    /// message written elsewhere is passed on. Lists each other use.
    #[test]
    fn only_received_messages_are_english_only() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![root.join("shared/src")];
        let services = std::fs::read_dir(root.join("services")).expect("services/ is readable");
        dirs.extend(services.map(|e| e.expect("a service entry").path().join("src")));
        let allowed = ["shared/src/i18n.rs", "shared/src/rejection.rs"];
        let mut offenders = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("a source folder is readable") {
                let path = entry.expect("a source entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                let shown = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                let source = std::fs::read_to_string(&path).expect("a source file is UTF-8");
                let uses = source.matches("Text::received(").count();
                if uses > 0 && !allowed.contains(&shown.as_str()) {
                    offenders.push(format!("{shown}: {uses}"));
                }
            }
        }
        assert!(offenders.is_empty(), "English-only texts: {offenders:?}");
    }

    #[test]
    fn quotes_and_truncation_are_bounded() {
        let long = "x".repeat(10_000);
        assert_eq!(quote(&long).chars().count(), QUOTE_MAX_CHARS + 3);
        assert_eq!(quote("a\"b\n"), r#""a\"b\n""#);
        let text = Text::new("é".repeat(50), "中".repeat(50)).truncated(10);
        assert_eq!(text.en().chars().count(), 10);
        assert!(text.zh().ends_with('…'));
        assert_eq!(
            Text::fixed("ok", "好").truncated(10),
            Text::fixed("ok", "好")
        );
    }
}
