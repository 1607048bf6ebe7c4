//! Files people download and open in Excel or WPS: CSV cells that cannot run as formulas,
//! and a `Content-Disposition` that cannot be bent into another header.
//!
//! CSV exports pass every text cell through [`neutralise_cell`]; importers pass every cell
//! through [`restore_cell`], so an export imports back unchanged. XLSX exports need neither:
//! a string cell written as a string is never a formula.

use std::borrow::Cow;

use actix_web::http::header::{self, HeaderName, HeaderValue};

/// First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV
/// Injection"): `=`, `+`, `-`, `@`, tab and carriage return.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as a CSV export writes it: one that a spreadsheet would read as a formula
/// gets a leading apostrophe (shown as text, never run), as OWASP recommends. A cell that
/// already starts with an apostrophe gets another, so [`restore_cell`] can tell the two
/// apart. Plain numbers (`-12`, `-0.5`) are left alone: a spreadsheet reads them as numbers,
/// which is what they are.
pub fn neutralise_cell(cell: &str) -> Cow<'_, str> {
    let Some(first) = cell.chars().next() else {
        return Cow::Borrowed(cell);
    };
    let risky = (FORMULA_STARTS.contains(&first) && !is_plain_number(cell)) || first == '\'';
    if risky {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The inverse of [`neutralise_cell`], for importers: drops the apostrophe an export put in
/// front of a formula-like cell (or of a cell starting with an apostrophe). Anything else,
/// including an apostrophe a person typed before ordinary text, is kept.
pub fn restore_cell(cell: &str) -> Cow<'_, str> {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || rest.starts_with('\'') => {
            Cow::Borrowed(rest)
        }
        _ => Cow::Borrowed(cell),
    }
}

/// `-12`, `+3`, `-0.5`: a sign, digits and at most one decimal point, nothing else.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// Longest ASCII fallback file name, in characters.
const MAX_FALLBACK_CHARS: usize = 100;

/// `Content-Disposition: attachment; filename="ascii-fallback"; filename*=UTF-8''…`
/// (RFC 6266, RFC 8187) for a download named `file_name`. Whatever the name holds (quotes,
/// semicolons, CR/LF, slashes, Chinese), it stays one parameter: the fallback keeps only
/// safe ASCII, and the UTF-8 form percent-encodes every byte outside RFC 8187's
/// `attr-char`. Use with `HttpResponse::Ok().insert_header(attachment(name))`.
pub fn attachment(file_name: &str) -> (HeaderName, HeaderValue) {
    attachment_with_fallback(file_name, file_name)
}

/// [`attachment`] with a chosen ASCII name for old clients (e.g. `progress-2019-57.xlsx`
/// beside `进度-2019-57.xlsx`); `fallback` is made safe the same way.
pub fn attachment_with_fallback(file_name: &str, fallback: &str) -> (HeaderName, HeaderValue) {
    let name: String = file_name.chars().filter(|c| !c.is_control()).collect();
    let fallback: String = fallback.chars().filter(|c| !c.is_control()).collect();
    let value = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_fallback(&fallback),
        percent_encode(&name)
    );
    // Only visible ASCII was written, so this cannot fail; the plain form is still a valid
    // answer if it ever did.
    let value = HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("attachment"));
    (header::CONTENT_DISPOSITION, value)
}

/// The name in safe ASCII for clients that ignore `filename*`: letters, digits, `.-_()`
/// kept, runs of anything else become one `_`; a name with no ASCII letter or digit left
/// before its extension becomes `download` plus the extension.
fn ascii_fallback(name: &str) -> String {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext))
            if !ext.is_empty()
                && ext.len() <= 8
                && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
        {
            (stem, ext)
        }
        _ => (name, ""),
    };
    let mut safe = String::new();
    for c in stem.chars() {
        let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '(' | ')');
        if keep {
            safe.push(c);
        } else if !safe.ends_with('_') {
            safe.push('_');
        }
    }
    let mut safe = safe.trim_matches(|c| c == '_' || c == '.').to_owned();
    if !safe.chars().any(|c| c.is_ascii_alphanumeric()) {
        safe = "download".to_owned();
    }
    let room = MAX_FALLBACK_CHARS.saturating_sub(extension.len() + 1);
    let safe: String = safe.chars().take(room).collect();
    if extension.is_empty() {
        safe
    } else {
        format!("{safe}.{extension}")
    }
}

/// RFC 8187 `value-chars`: `attr-char` as is, every other byte as `%XX`.
fn percent_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len() * 3);
    for byte in name.bytes() {
        let attr_char = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        if attr_char {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        let hostile = [
            "=HYPERLINK(\"http://evil\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "'=1",
            "'",
            "''x",
            "'apostrophe",
        ];
        for cell in hostile {
            let safe = neutralise_cell(cell);
            assert!(safe.starts_with('\''), "{cell:?} → {safe:?}");
            assert_eq!(restore_cell(&safe), cell, "round trip of {cell:?}");
        }
        for cell in ["", "苏州", "a=b", "-12", "+3", "-0.5", "2020-01-01", "1e5"] {
            assert_eq!(neutralise_cell(cell), cell);
            assert_eq!(restore_cell(cell), cell);
        }
        for cell in ["-", "-.5", "-1.", "--1", "-1-2", "+1.2.3"] {
            assert!(neutralise_cell(cell).starts_with('\''), "{cell:?}");
        }
        // A person's own apostrophe before text is not ours to drop.
        assert_eq!(restore_cell("'hello"), "'hello");
        assert_eq!(restore_cell("'=A1"), "=A1");
    }

    fn disposition(name: &str) -> String {
        let (header, value) = attachment(name);
        assert_eq!(header, header::CONTENT_DISPOSITION);
        value.to_str().unwrap().to_owned()
    }

    /// The parameters of a disposition value, split the way a client would.
    fn parameters(value: &str) -> Vec<String> {
        let mut parameters = Vec::new();
        let (mut current, mut quoted) = (String::new(), false);
        for c in value.chars() {
            match c {
                '"' => quoted = !quoted,
                ';' if !quoted => parameters.push(std::mem::take(&mut current)),
                c => current.push(c),
            }
        }
        parameters.push(current);
        parameters.iter().map(|p| p.trim().to_owned()).collect()
    }

    #[test]
    fn hostile_names_stay_one_parameter() {
        for name in [
            "sec-x\"; filename=\"evil.html",
            "a\r\nSet-Cookie: x=1.csv",
            "../../etc/passwd",
            "x\\\"; filename*=UTF-8''evil.html",
            "规则集 2024；版本\"1\".xlsx",
            "",
            ";;;",
            &"长".repeat(500),
        ] {
            let value = disposition(name);
            let params = parameters(&value);
            assert_eq!(params.len(), 3, "{name:?} → {value}");
            assert_eq!(params[0], "attachment");
            assert!(params[1].starts_with("filename="), "{value}");
            assert!(params[2].starts_with("filename*=UTF-8''"), "{value}");
            assert!(!value.contains('\r') && !value.contains('\n'));
            let fallback = params[1].trim_start_matches("filename=");
            assert!(
                !fallback.contains('/') && !fallback.contains('\\'),
                "{value}"
            );
        }
    }

    #[test]
    fn chinese_names_are_encoded_per_rfc_8187() {
        let value = disposition("企业名单 2024.csv");
        assert_eq!(
            value,
            "attachment; filename=\"2024.csv\"; \
             filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%90%8D%E5%8D%95%202024.csv"
        );
        assert_eq!(
            disposition("企业名单.xlsx"),
            "attachment; filename=\"download.xlsx\"; \
             filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%90%8D%E5%8D%95.xlsx"
        );
        assert_eq!(
            disposition("enterprises-320500.csv"),
            "attachment; filename=\"enterprises-320500.csv\"; \
             filename*=UTF-8''enterprises-320500.csv"
        );
    }
}
