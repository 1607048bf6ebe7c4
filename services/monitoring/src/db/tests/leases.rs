use chrono::Duration;

use super::{Store, at};
use crate::db::leases;

const JOB: &str = "snapshot:jiangsu-2019-57:2020-09";

#[tokio::test]
async fn one_holder_at_a_time_until_the_lease_expires_or_is_released() {
    let store = Store::new();
    let ttl = Duration::minutes(5);
    let t0 = at("2020-10-01 01:00:00");
    let a = store
        .write(move |c| leases::acquire(c, JOB, "replica-a", t0, ttl))
        .await
        .unwrap();
    assert_eq!(a.token, 1);
    let t1 = t0 + Duration::minutes(1);
    assert_eq!(
        store
            .write(move |c| leases::acquire(c, JOB, "replica-b", t1, ttl))
            .await,
        None
    );
    let fa = a.clone();
    assert!(store.read(move |c| leases::is_held(c, &fa, t1)).await);

    // Renewed at minute 4 to minute 9: still A's at minute 6.
    let (fa, t4) = (a.clone(), t0 + Duration::minutes(4));
    assert!(store.write(move |c| leases::renew(c, &fa, t4, ttl)).await);
    let t6 = t0 + Duration::minutes(6);
    assert_eq!(
        store
            .write(move |c| leases::acquire(c, JOB, "replica-b", t6, ttl))
            .await,
        None
    );

    // Expired at minute 9: B takes over with a new token; A's term is over.
    let t10 = t0 + Duration::minutes(10);
    let b = store
        .write(move |c| leases::acquire(c, JOB, "replica-b", t10, ttl))
        .await
        .unwrap();
    assert_eq!(b.token, 2);
    let fa = a.clone();
    assert!(!store.read(move |c| leases::is_held(c, &fa, t10)).await);
    let fa = a.clone();
    assert!(!store.write(move |c| leases::renew(c, &fa, t10, ttl)).await);
    let fa = a.clone();
    assert!(!store.write(move |c| leases::release(c, &fa, t10)).await);

    // B releases early; A may take it at once.
    let fb = b.clone();
    assert!(store.write(move |c| leases::release(c, &fb, t10)).await);
    let again = store
        .write(move |c| leases::acquire(c, JOB, "replica-a", t10, ttl))
        .await
        .unwrap();
    assert_eq!(again.token, 3);
    // Another job's lease is independent.
    let other = store
        .write(move |c| {
            leases::acquire(c, "snapshot:jiangsu-2019-57:2020-10", "replica-b", t10, ttl)
        })
        .await;
    assert_eq!(other.map(|f| f.token), Some(1));
}

#[tokio::test]
async fn of_replicas_racing_for_a_lease_exactly_one_gets_it() {
    let store = Store::new();
    let t0 = at("2020-10-01 01:00:00");
    let ttl = Duration::minutes(5);
    for round in 0..3 {
        let now = t0 + Duration::minutes(10 * round);
        let (x, y, z) = tokio::join!(
            store.write(move |c| leases::acquire(c, JOB, "replica-a", now, ttl)),
            store.write(move |c| leases::acquire(c, JOB, "replica-b", now, ttl)),
            store.write(move |c| leases::acquire(c, JOB, "replica-c", now, ttl)),
        );
        let winners = [x, y, z].into_iter().flatten().count();
        assert_eq!(winners, 1, "round {round}");
    }
}
