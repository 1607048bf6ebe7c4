//! A line of a labels file: a label granted for a year.

use chrono::NaiveDate;

use super::{Cells, known};
use crate::domain::import::{LABEL_KINDS, LABEL_LEVELS};
use crate::domain::labels::{Label, LabelKind, LabelLevel};

pub(in crate::app::imports) fn parse(
    cells: &mut Cells<'_>,
    _credit_code: Option<&str>,
    today: NaiveDate,
) -> Option<Label> {
    let year = cells.programme_year("year", today);
    let kind = cells.required_choice_of("kind", LABEL_KINDS, known(LabelKind::from_key));
    let level = cells.required_choice_of("level", LABEL_LEVELS, known(LabelLevel::from_key));
    let issuer = cells.text("issuer");
    Some(Label {
        kind: kind?,
        year,
        level: level?,
        issuer,
    })
}
