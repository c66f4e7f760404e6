//! Table definitions, portable across SQLite and PostgreSQL: ids as UUID text,
//! lists as JSON text, times as UTC timestamps.

diesel::table! {
    organisations (id) {
        id -> Text,
        name_ja -> Text,
        name_en -> Text,
        aliases -> Text,
        domains -> Text,
        sectors -> Text,
        internal_ranges -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        organisation_id -> Nullable<Text>,
        locale -> Text,
        disabled -> Bool,
        failed_logins -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
        client_ip -> Nullable<Text>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        user_id -> Text,
        role -> Text,
        label -> Text,
        prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    peers (id) {
        id -> Text,
        name -> Text,
        api_root -> Text,
        direction -> Text,
        max_tlp -> Text,
        sectors -> Text,
        created_at -> Timestamp,
        server_id -> Text,
        collections -> Text,
        push_collection -> Text,
        schedule -> Text,
        sector_map -> Text,
        ca_file -> Text,
        client_cert_file -> Text,
        client_key_file -> Text,
        outbound_token -> Nullable<Text>,
        inbound_token_hash -> Nullable<Text>,
        client_cert_sha256 -> Nullable<Text>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (seq) {
        seq -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        target -> Text,
        detail -> Text,
        source_ip -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(api_keys -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organisations,
    users,
    sessions,
    api_keys,
    peers,
    server_secrets,
    audit_log
);

diesel::table! {
    stix_objects (date_added) {
        date_added -> BigInt,
        object_id -> Text,
        object_type -> Text,
        spec_version -> Text,
        version -> Text,
        is_latest -> Bool,
        is_first -> Bool,
        revoked -> Bool,
        valid_until -> Nullable<BigInt>,
        tlp -> Text,
        tlp_rank -> Integer,
        sectors -> Text,
        audiences -> Text,
        recipients -> Text,
        published -> Bool,
        submitter_org -> Nullable<Text>,
        hops -> Text,
        body -> Text,
    }
}

diesel::table! {
    taxii_status (id) {
        id -> Text,
        user_id -> Text,
        request_timestamp -> BigInt,
        total_count -> Integer,
        success_count -> Integer,
        failure_count -> Integer,
        pending_count -> Integer,
        details -> Text,
    }
}

diesel::table! {
    reports (id) {
        id -> Text,
        report_id -> Text,
        organisation_id -> Text,
        submitted_by -> Text,
        idempotency_key -> Nullable<Text>,
        state -> Text,
        revision -> Integer,
        kind -> Text,
        sector -> Text,
        title -> Text,
        raw -> Text,
        sanitised -> Text,
        sanitised_stix -> Text,
        redactions -> Text,
        thresholds -> Text,
        tlp -> Text,
        reason -> Nullable<Text>,
        published_tlp -> Nullable<Text>,
        published_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_revisions (report_row, revision) {
        report_row -> Text,
        revision -> Integer,
        raw -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    peer_cursors (peer_id, collection) {
        peer_id -> Text,
        collection -> Text,
        position -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    peer_state (peer_id) {
        peer_id -> Text,
        last_attempt_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        consecutive_failures -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        objects_received -> BigInt,
        objects_sent -> BigInt,
        bytes_received -> BigInt,
    }
}
