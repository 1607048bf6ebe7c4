//! A deadline on receiving a request body. Every body gets a grace period, and each byte
//! received earns more time at the configured minimum rate, so a 60 MB import on a slow link
//! is served while an upload trickling a byte a second is cut off after the grace period with
//! 408 problem+json and the connection closed. Waiting never blocks a worker (it is a timer),
//! so other requests are served meanwhile.

use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use futures_util::{Stream, StreamExt};
use tokio::time::Instant;

use crate::config::BodyDeadline;
use crate::problem::Problem;
use crate::text;

/// Puts the body of every request on the clock; answers 408 when it runs out.
pub async fn body_deadline_middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(deadline) = req
        .app_data::<web::Data<BodyDeadline>>()
        .map(|d| *d.get_ref())
    else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    let expired = Rc::new(Cell::new(false));
    let payload = timed(req.take_payload(), deadline, expired.clone());
    req.set_payload(Payload::from(payload));
    let response = next.call(req).await?.map_into_boxed_body();
    if !expired.get() {
        return Ok(response);
    }
    let (grace, rate) = (deadline.grace.as_secs(), deadline.min_bytes_per_sec);
    tracing::warn!("request body too slow; answered 408");
    let problem = Problem::request_timeout(text!(
        "the request body did not arrive in time: after {grace} s it must keep coming at \
         {rate} bytes per second or more",
        "请求体未能按时送达：{grace} 秒之后须以每秒不少于 {rate} 字节的速度持续发送"
    ));
    let (request, _) = response.into_parts();
    let mut answer = problem.error_response();
    // The rest of the body is still on its way: the connection cannot carry another request.
    answer.head_mut().set_connection_type(ConnectionType::Close);
    Ok(ServiceResponse::new(request, answer))
}

/// `payload` as a stream that fails once the body falls behind `deadline`.
fn timed(
    payload: Payload,
    deadline: BodyDeadline,
    expired: Rc<Cell<bool>>,
) -> Pin<Box<dyn Stream<Item = Result<web::Bytes, PayloadError>>>> {
    let started = Instant::now();
    let state = (payload, 0u64, false);
    let stream = futures_util::stream::unfold(state, move |(mut payload, received, done)| {
        let expired = expired.clone();
        async move {
            if done {
                return None;
            }
            // Bytes so far earn time at the minimum rate, on top of the grace period.
            let earned =
                Duration::from_secs_f64(received as f64 / deadline.min_bytes_per_sec as f64);
            let until = started + deadline.grace + earned;
            let next = tokio::select! {
                chunk = payload.next() => Some(chunk),
                () = tokio::time::sleep_until(until) => None,
            };
            match next {
                Some(Some(Ok(bytes))) => {
                    let received = received + bytes.len() as u64;
                    Some((Ok(bytes), (payload, received, false)))
                }
                Some(Some(Err(error))) => Some((Err(error), (payload, received, true))),
                Some(None) => None,
                None => {
                    expired.set(true);
                    let error =
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "request body too slow");
                    Some((Err(PayloadError::Io(error)), (payload, received, true)))
                }
            }
        }
    });
    Box::pin(stream)
}
