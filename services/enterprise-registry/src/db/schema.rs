// Diesel table definitions; types exist on both PostgreSQL and SQLite.

diesel::table! {
    enterprises (credit_code) {
        credit_code -> Text,
        name -> Text,
        region_code -> Text,
        city_code -> Text,
        registered_on -> Date,
        industry_code -> Text,
        tech_domain -> Nullable<Text>,
        zone_level -> Text,
        zone_id -> Nullable<Text>,
        above_scale -> Bool,
        carrier_id -> Nullable<Text>,
        listing_status -> Text,
        deregistered_on -> Nullable<Date>,
        deregistration_reason -> Nullable<Text>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    annual_reports (credit_code, year) {
        credit_code -> Text,
        year -> Integer,
        employees -> Nullable<BigInt>,
        st_staff -> Nullable<BigInt>,
        total_income_yuan -> Nullable<BigInt>,
        sales_revenue_yuan -> Nullable<BigInt>,
        hightech_income_yuan -> Nullable<BigInt>,
        rd_expense_yuan -> Nullable<BigInt>,
        rd_expense_domestic_yuan -> Nullable<BigInt>,
        total_costs_yuan -> Nullable<BigInt>,
        net_assets_yuan -> Nullable<BigInt>,
        total_assets_yuan -> Nullable<BigInt>,
        industrial_output_yuan -> Nullable<BigInt>,
        tax_paid_yuan -> Nullable<BigInt>,
        invention_patents -> Nullable<BigInt>,
        class1_ip -> Nullable<BigInt>,
        class2_ip -> Nullable<BigInt>,
        new_ip -> Nullable<BigInt>,
        conversions -> Nullable<BigInt>,
        rd_institution -> Nullable<Text>,
        version -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pool_entries (credit_code, year) {
        credit_code -> Text,
        year -> Integer,
        batch -> Integer,
        source -> Text,
        entered_on -> Date,
        exited_on -> Nullable<Date>,
        exit_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    certificates (certificate_no) {
        certificate_no -> Text,
        credit_code -> Text,
        issued_on -> Date,
        expires_on -> Date,
        revoked_on -> Nullable<Date>,
        revoke_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    labels (credit_code, kind, year) {
        credit_code -> Text,
        kind -> Text,
        year -> Integer,
        level -> Text,
        issuer -> Nullable<Text>,
        revoked_on -> Nullable<Date>,
        revoke_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    imports (id) {
        id -> Text,
        kind -> Text,
        mode -> Text,
        status -> Text,
        file_format -> Text,
        encoding -> Text,
        rows_total -> BigInt,
        created -> BigInt,
        updated -> BigInt,
        unchanged -> BigInt,
        rejected -> BigInt,
        errors_json -> Text,
        errors_truncated -> Bool,
        created_by -> Text,
        created_by_region -> Text,
        created_at -> Timestamp,
        finished_at -> Timestamp,
        warnings_json -> Text,
    }
}

diesel::joinable!(annual_reports -> enterprises (credit_code));
diesel::joinable!(pool_entries -> enterprises (credit_code));
diesel::joinable!(certificates -> enterprises (credit_code));
diesel::joinable!(labels -> enterprises (credit_code));

diesel::table! {
    declarations (id) {
        id -> Text,
        credit_code -> Text,
        kind -> Text,
        dated_on -> Date,
        holds -> Bool,
        title -> Nullable<Text>,
        standard_level -> Nullable<Text>,
        completer_rank -> Nullable<Integer>,
        score_item -> Nullable<Text>,
        score_centipoints -> Nullable<Integer>,
        source -> Text,
        entered_by -> Text,
        created_at -> Timestamp,
        withdrawn_on -> Nullable<Date>,
        withdraw_reason -> Nullable<Text>,
    }
}

diesel::joinable!(declarations -> enterprises (credit_code));

diesel::table! {
    readiness_builds (rule_set_version, screened_on) {
        rule_set_version -> Text,
        screened_on -> Date,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        firms_done -> BigInt,
        firms_total -> BigInt,
    }
}

diesel::table! {
    readiness (rule_set_version, screened_on, credit_code) {
        rule_set_version -> Text,
        screened_on -> Date,
        credit_code -> Text,
        region_code -> Text,
        city_code -> Text,
        tech_domain -> Nullable<Text>,
        in_pool -> Bool,
        eligible -> Bool,
        outcome -> Text,
        passing -> Integer,
        not_passing -> Integer,
        failing -> Integer,
        unknown -> Integer,
        relative_gap_ppm -> BigInt,
        candidate_json -> Text,
    }
}

diesel::joinable!(readiness -> enterprises (credit_code));

diesel::allow_tables_to_appear_in_same_query!(
    enterprises,
    annual_reports,
    pool_entries,
    certificates,
    labels,
    declarations,
    readiness,
    readiness_builds,
    rule_sets,
    imports,
);

diesel::table! {
    rule_sets (version) {
        version -> Text,
        rules_json -> Text,
        description -> Nullable<Text>,
        created_at -> Timestamp,
        created_by -> Text,
        activated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    zones (id) {
        id -> Text,
        name -> Text,
        short_name -> Text,
        level -> Text,
        city_code -> Text,
        county_codes -> Text,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    unmatched_zone_values (credit_code) {
        credit_code -> Text,
        region_code -> Text,
        zone_level -> Text,
        zone_text -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(enterprises, zones, unmatched_zone_values);
// The keyed read joins an enterprise's certificates, pool entries and zone in one query.
diesel::allow_tables_to_appear_in_same_query!(zones, certificates);
diesel::allow_tables_to_appear_in_same_query!(zones, pool_entries);

diesel::table! {
    carriers (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        level -> Text,
        region_code -> Text,
        city_code -> Text,
        zone_id -> Nullable<Text>,
        operator_credit_code -> Text,
        recognition_year -> Integer,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(carriers, enterprises);
diesel::allow_tables_to_appear_in_same_query!(carriers, zones);

diesel::table! {
    incubations (credit_code, carrier_id, started_on) {
        credit_code -> Text,
        carrier_id -> Text,
        started_on -> Date,
        ended_on -> Nullable<Date>,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(incubations, carriers);
diesel::allow_tables_to_appear_in_same_query!(incubations, enterprises);
