//! Incubations (在孵记录): recording that a carrier incubated the enterprise, and the list.

use actix_web::{get, post};
use chrono::NaiveDate;
use hte_shared::problem::{FieldError, Problem};
use hte_shared::text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::incubations::{self as operations, Incubation, IncubationView};
use crate::domain::carriers::CarrierId;
use crate::domain::dates::check_past_date;

/// Body of `POST …/incubations`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncubation {
    /// The carrier that incubated the enterprise (孵化载体编号).
    #[schema(
        example = "kunshan-sci-incubator",
        pattern = "^[a-z0-9][a-z0-9-]{1,39}$"
    )]
    pub carrier_id: String,
    /// First day of incubation (入孵日期); not in the future.
    pub started_on: NaiveDate,
    /// Graduation or leaving (毕业/离孵日期), not before started_on nor in the future; absent
    /// while incubating.
    pub ended_on: Option<NaiveDate>,
}

impl NewIncubation {
    fn parse(&self, today: NaiveDate) -> Result<Incubation, Problem> {
        let mut errors = Vec::new();
        let carrier = CarrierId::parse(&self.carrier_id)
            .map_err(|e| {
                errors.push(FieldError {
                    field: "carrier_id".into(),
                    ..e
                })
            })
            .ok();
        check_past_date("started_on", self.started_on, today, &mut errors);
        if let Some(end) = self.ended_on {
            check_past_date("ended_on", end, today, &mut errors);
            if end < self.started_on {
                errors.push(FieldError::new(
                    "ended_on",
                    "not_before_start",
                    text!("ended_on is before started_on", "毕业/离孵日期早于入孵日期"),
                ));
            }
        }
        match carrier {
            Some(carrier) if errors.is_empty() => Ok(Incubation {
                carrier,
                started_on: self.started_on,
                ended_on: self.ended_on,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }
}

fact_create_route! {
    /// Record that a carrier incubated the enterprise (在孵记录).
    create_incubation: POST "/enterprises/{credit_code}/incubations",
    tag = "carriers", collection = "incubations",
    NewIncubation => 201 IncubationView "Recorded", operations::record,
}

fact_list_route! {
    /// The enterprise's incubations, oldest first (by start, then carrier id).
    list_incubations: GET "/enterprises/{credit_code}/incubations",
    tag = "carriers", Page<IncubationView>, operations::list,
}
