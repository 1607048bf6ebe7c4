//! Writes are counted for the caches that depend on them (`hte_shared::db::KeyedCache`), also
//! when the caller stopped waiting: the transaction still commits, so a value read before it
//! must not be served after.

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use hte_shared::db::{DbError, KeyedCache};

use crate::helpers::TestApp;

#[tokio::test]
async fn a_write_whose_caller_went_away_still_makes_held_values_stale() {
    let app = TestApp::spawn().await;
    let cache = KeyedCache::<u32>::new("probe", 16, app.db.writes(), None).unwrap();
    let ticket = cache.get("firm").unwrap_err();
    cache.put("firm", Arc::new(1), ticket);
    assert_eq!(*cache.get("firm").unwrap(), 1);

    let (started, has_started) = tokio::sync::oneshot::channel();
    let db = app.db.clone();
    let write = tokio::spawn(async move {
        db.write(move |conn| {
            let _ = started.send(());
            std::thread::sleep(Duration::from_millis(200));
            conn.batch_execute("SELECT 1")?;
            Ok::<_, DbError>(())
        })
        .await
    });
    has_started.await.unwrap();
    write.abort();
    assert!(write.await.unwrap_err().is_cancelled());

    let deadline = Instant::now() + Duration::from_secs(5);
    while cache.get("firm").is_ok() {
        assert!(
            Instant::now() < deadline,
            "the abandoned write was never counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
