//! What every request meets before a handler sees it: a budget per caller
//! ([`rate_limit`]), a deadline on its body ([`body`]), the documented query parameters
//! and methods ([`routes`]), and a net under panics ([`panic`]). The server
//! ([`crate::server`]) wraps every service in these, in that order.

pub mod body;
pub mod panic;
pub mod rate_limit;
pub mod routes;
