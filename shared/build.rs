//! `embed_migrations!` reads `migrations/` at compile time, but cargo does not know that:
//! without this, a new migration folder left a stale binary that never ran it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
