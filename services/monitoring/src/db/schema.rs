// Diesel table definitions; types exist on both PostgreSQL and SQLite.

diesel::table! {
    statistics_inputs (measure, period, region_code, version) {
        measure -> Text,
        period -> Text,
        region_code -> Text,
        version -> Integer,
        period_starts_on -> Date,
        period_ends_on -> Date,
        value -> BigInt,
        unit -> Text,
        entered_value -> Text,
        entered_unit -> Text,
        source_document -> Text,
        note -> Nullable<Text>,
        reason -> Nullable<Text>,
        actor -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    snapshots (id) {
        id -> Text,
        plan_id -> Text,
        period -> Text,
        revision -> Integer,
        as_of -> Date,
        report_year -> Integer,
        triggered_by -> Text,
        status -> Text,
        partial_reason -> Nullable<Text>,
        plan_tree_version -> Nullable<Integer>,
        taken_by -> Text,
        taken_at -> Timestamp,
    }
}

diesel::table! {
    snapshot_indicators (snapshot_id, indicator_key) {
        snapshot_id -> Text,
        indicator_key -> Text,
        position -> Integer,
        definition_json -> Text,
        window_starts_on -> Date,
        window_ends_on -> Date,
        expected_completion -> Double,
    }
}

diesel::table! {
    snapshot_values (snapshot_id, indicator_key, region_code) {
        snapshot_id -> Text,
        indicator_key -> Text,
        region_code -> Text,
        numerator -> Nullable<BigInt>,
        denominator -> Nullable<BigInt>,
        value -> Nullable<Double>,
        missing_reason -> Nullable<Text>,
        target -> Nullable<Text>,
        sources_json -> Text,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        fingerprint -> Text,
        kind -> Text,
        severity -> Text,
        plan_id -> Nullable<Text>,
        indicator_key -> Nullable<Text>,
        region_code -> Text,
        figures_json -> Text,
        message_zh -> Text,
        message_en -> Text,
        last_snapshot_id -> Nullable<Text>,
        first_seen -> Timestamp,
        last_seen -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledgement_note -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    events (seq) {
        seq -> BigInt,
        id -> Text,
        kind -> Text,
        region_code -> Text,
        subject_id -> Text,
        payload_json -> Text,
        created_at -> Timestamp,
        dispatched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    snapshot_pipeline (snapshot_id, region_code) {
        snapshot_id -> Text,
        region_code -> Text,
        ready_firms -> BigInt,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        region_code -> Text,
        event_kinds -> Text,
        target_url -> Text,
        secret -> Text,
        description -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        status -> Text,
        status_reason -> Nullable<Text>,
        status_changed_at -> Timestamp,
        consecutive_failures -> Integer,
        failing_since -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        version -> Integer,
    }
}

diesel::table! {
    deliveries (id) {
        id -> Text,
        event_id -> Text,
        subscription_id -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        last_status_code -> Nullable<Integer>,
        last_latency_ms -> Nullable<BigInt>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    delivery_attempts (id) {
        id -> Text,
        delivery_id -> Text,
        attempt -> Integer,
        started_at -> Timestamp,
        status_code -> Nullable<Integer>,
        latency_ms -> BigInt,
        error -> Nullable<Text>,
        succeeded -> Bool,
        claimed_by -> Text,
    }
}

diesel::joinable!(snapshot_indicators -> snapshots (snapshot_id));
diesel::joinable!(snapshot_values -> snapshots (snapshot_id));
diesel::joinable!(deliveries -> subscriptions (subscription_id));
diesel::joinable!(delivery_attempts -> deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    statistics_inputs,
    snapshots,
    snapshot_indicators,
    snapshot_values,
    alerts,
    events,
    snapshot_pipeline,
    subscriptions,
    deliveries,
    delivery_attempts,
);
