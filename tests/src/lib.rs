//! Tests that need more than one service: all three are started in-process on port 0, each
//! with its own fresh database, and talk over real HTTP. `harness` starts the suite (the
//! monitoring benchmark uses it too); `cases` holds the tests.

pub mod harness;

#[cfg(test)]
mod cases;
