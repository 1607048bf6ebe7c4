//! Renderers: a [`Bulletin`] as Word (DOCX), Excel (XLSX), a printable HTML page or JSON,
//! and charts as SVG. Each is a pure function of the bulletin; the route picks one by
//! `format=` or `Accept` ([`BulletinFormat`]) and sends the bytes with its content type.

use crate::bulletin::Bulletin;

pub mod docx;
pub mod html;
pub mod layout;
pub mod svg;
pub mod xlsx;

#[cfg(test)]
mod tests;

/// The formats a bulletin comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulletinFormat {
    Json,
    Docx,
    Xlsx,
    Html,
}

pub const DOCX_MIME: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX_MIME: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl BulletinFormat {
    pub const ALL: [Self; 4] = [Self::Json, Self::Docx, Self::Xlsx, Self::Html];

    /// The `format=` value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Docx => "docx",
            Self::Xlsx => "xlsx",
            Self::Html => "html",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Docx => DOCX_MIME,
            Self::Xlsx => XLSX_MIME,
            Self::Html => "text/html; charset=utf-8",
        }
    }

    /// The format an `Accept` header asks for, if any of ours (the first match in the
    /// header's order; quality values are not weighed).
    pub fn from_accept(accept: &str) -> Option<Self> {
        accept.split(',').find_map(|item| {
            let media = item.split(';').next().unwrap_or("").trim();
            match media {
                DOCX_MIME => Some(Self::Docx),
                XLSX_MIME => Some(Self::Xlsx),
                "text/html" => Some(Self::Html),
                "application/json" => Some(Self::Json),
                _ => None,
            }
        })
    }

    /// A download name, e.g. `通报-jiangsu-2019-57-2020-09-320000.docx`.
    pub fn file_name(self, bulletin: &Bulletin) -> String {
        format!(
            "通报-{}-{}-{}.{}",
            bulletin.plan_id,
            bulletin.period,
            bulletin.scope.code,
            self.key()
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot write the DOCX package: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the DOCX package: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the XLSX workbook: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    #[error("cannot write the JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The bulletin in `format`.
pub fn render(format: BulletinFormat, bulletin: &Bulletin) -> Result<Vec<u8>, RenderError> {
    match format {
        BulletinFormat::Json => Ok(serde_json::to_vec(bulletin)?),
        BulletinFormat::Docx => docx::render(bulletin),
        BulletinFormat::Xlsx => xlsx::render(bulletin),
        BulletinFormat::Html => Ok(html::render(bulletin).into_bytes()),
    }
}

/// Text for XML and HTML, in content and in quoted attributes: the five special characters
/// escaped, and characters XML 1.0 forbids (most C0 controls) dropped, so no stored text can
/// break a document or inject markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}
