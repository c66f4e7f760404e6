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
        basic_username -> Text,
        basic_password -> Nullable<Text>,
        allow_insecure_http -> Bool,
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
    auto_publish_rules (id) {
        id -> Text,
        organisation_id -> Text,
        kind -> Text,
        tlp -> Text,
        require_indicators -> Bool,
        sectors -> Text,
        created_at -> Timestamp,
    }
}

// --- advisories, member profiles, risk register, reassessment (issue 6) ---

diesel::table! {
    advisories (id) {
        id -> Text,
        stix_id -> Text,
        state -> Text,
        version -> Integer,
        urgency -> Text,
        tlp -> Text,
        content -> Text,
        stix_modified -> Nullable<Text>,
        created_by -> Text,
        withdrawn_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
        origin -> Nullable<Text>,
    }
}

diesel::table! {
    member_profiles (organisation_id) {
        organisation_id -> Text,
        critical_systems -> Text,
        contacts -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    member_technologies (id) {
        id -> Text,
        organisation_id -> Text,
        product -> Text,
        cpe -> Text,
        vendor -> Nullable<Text>,
        note -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    risk_register (id) {
        id -> Text,
        organisation_id -> Text,
        resource -> Text,
        outcome -> Text,
        threat_event -> Text,
        risk_source -> Nullable<Text>,
        impact -> Integer,
        likelihood -> Integer,
        residual_impact -> Integer,
        residual_likelihood -> Integer,
        criterion -> Integer,
        measures -> Text,
        owner -> Text,
        technology -> Nullable<Text>,
        technology_vendor -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    risk_register_history (id) {
        id -> Text,
        entry_id -> Text,
        organisation_id -> Text,
        at -> Timestamp,
        residual_impact -> Integer,
        residual_likelihood -> Integer,
        cause -> Text,
        decision -> Nullable<Text>,
        note -> Text,
    }
}

diesel::table! {
    reassessment_tasks (id) {
        id -> Text,
        advisory_id -> Text,
        organisation_id -> Text,
        state -> Text,
        deadline -> Timestamp,
        reasons -> Text,
        entries -> Text,
        answers -> Text,
        note -> Nullable<Text>,
        requested_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        reassessed_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reassessment_steps (task_id, step) {
        task_id -> Text,
        step -> Text,
        recipients -> Text,
        at -> Timestamp,
    }
}

diesel::joinable!(reassessment_tasks -> organisations (organisation_id));
diesel::allow_tables_to_appear_in_same_query!(reassessment_tasks, organisations);

diesel::table! {
    notification_settings (user_id) {
        user_id -> Text,
        email_enabled -> Bool,
        stream_enabled -> Bool,
        min_urgency -> Text,
        sectors -> Text,
        products -> Text,
        tags -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    organisation_notify_settings (organisation_id) {
        organisation_id -> Text,
        min_urgency -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        organisation_id -> Text,
        url -> Text,
        secret -> Text,
        label -> Text,
        enabled -> Bool,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (seq) {
        seq -> BigInt,
        id -> Text,
        channel -> Text,
        target -> Text,
        user_id -> Nullable<Text>,
        organisation_id -> Nullable<Text>,
        dedupe_key -> Text,
        kind -> Text,
        object_id -> Text,
        body -> Text,
        state -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_by -> Nullable<Text>,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_leases (job) {
        job -> Text,
        holder -> Nullable<Text>,
        last_tick -> Timestamp,
        held_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    job_runs (id) {
        id -> Text,
        job -> Text,
        tick -> Timestamp,
        holder -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
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

// --- pseudonymous follow-up on published reports (issue 5, item 6) ---

diesel::table! {
    report_publications (stix_id) {
        stix_id -> Text,
        report_row -> Text,
    }
}

diesel::table! {
    followup_threads (id) {
        id -> Text,
        report_row -> Text,
        report_ref -> Text,
        asker_org -> Text,
        pseudonym -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    followup_messages (id) {
        id -> Text,
        thread_id -> Text,
        seq -> Integer,
        side -> Text,
        kind -> Text,
        author_user -> Text,
        author_org -> Text,
        raw_text -> Text,
        shared_text -> Text,
        raw_sighting -> Nullable<Text>,
        shared_sighting -> Nullable<Text>,
        redactions -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    digests (id) {
        id -> Text,
        period -> Text,
        period_start -> Timestamp,
        period_end -> Timestamp,
        scope -> Text,
        body -> Text,
        created_by -> Text,
        created_at -> Timestamp,
    }
}
