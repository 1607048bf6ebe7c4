// Diesel table definitions; types exist on both PostgreSQL and SQLite.

diesel::table! {
    plans (id) {
        id -> Text,
        name -> Text,
        name_en -> Nullable<Text>,
        document_no -> Nullable<Text>,
        starts_on -> Date,
        ends_on -> Date,
        status -> Text,
        version -> Integer,
        tree_version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    indicators (plan_id, indicator_key) {
        plan_id -> Text,
        indicator_key -> Text,
        position -> Integer,
        name_zh -> Text,
        name_en -> Text,
        unit -> Text,
        comparator -> Text,
        target_value -> Nullable<Text>,
        source -> Text,
        splittable -> Bool,
        measure -> Nullable<Text>,
        aggregation -> Text,
        formula_json -> Nullable<Text>,
        input_period -> Text,
        pipeline -> Bool,
    }
}

diesel::table! {
    tree_versions (plan_id, version) {
        plan_id -> Text,
        version -> Integer,
        kind -> Text,
        reason -> Text,
        actor -> Text,
        actor_role -> Text,
        actor_region -> Text,
        allocation_id -> Nullable<Text>,
        changes -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    targets (plan_id, indicator, region_code, period, from_version) {
        plan_id -> Text,
        indicator -> Text,
        region_code -> Text,
        period -> Text,
        value -> BigInt,
        from_version -> Integer,
        to_version -> Nullable<Integer>,
    }
}

diesel::table! {
    allocations (id) {
        id -> Text,
        plan_id -> Text,
        indicator -> Text,
        period -> Text,
        parent_code -> Text,
        parent_value -> BigInt,
        method -> Text,
        request_json -> Text,
        children_json -> Text,
        status -> Text,
        base_tree_version -> Integer,
        accepted_tree_version -> Nullable<Integer>,
        created_by -> Text,
        created_at -> Timestamp,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        decision_reason -> Nullable<Text>,
        version -> Integer,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        plan_id -> Text,
        period -> Text,
        level -> Text,
        parent_code -> Text,
        as_of -> Date,
        scheme_version -> Integer,
        scheme_json -> Text,
        status -> Text,
        version -> Integer,
        tree_version -> Integer,
        rows_json -> Text,
        computed_at -> Timestamp,
        created_by -> Text,
        created_at -> Timestamp,
        published_by -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
    }
}

// Assessments made by the single formula before scoring schemes: kept, not served. Only
// the columns a plan's deletion needs.
diesel::table! {
    assessments_legacy (id) {
        id -> Text,
        plan_id -> Text,
    }
}

diesel::table! {
    scoring_schemes (plan_id, version) {
        plan_id -> Text,
        version -> Integer,
        scheme_json -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    registry_cache (plan_id, query_key) {
        plan_id -> Text,
        query_key -> Text,
        body -> Text,
        fetched_at -> Timestamp,
    }
}
