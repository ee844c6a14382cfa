// One schema for both backends: only portable column types are used
// (Text, Timestamp, Date, BigInt, Bool, Integer). Keep in step with migrations/.

diesel::table! {
    audit_head (id) {
        id -> Integer,
        seq -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    requests (id) {
        id -> Text,
        reference -> Text,
        kind -> Text,
        jurisdiction -> Text,
        regime -> Text,
        status -> Text,
        source -> Text,
        gpc -> Bool,
        received_at -> Timestamp,
        due_on -> Date,
        acknowledge_by -> Nullable<Date>,
        paused_days -> BigInt,
        extended -> Bool,
        details_enc -> Nullable<Text>,
        submission_key -> Text,
        verified_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        version -> BigInt,
        updated_at -> Timestamp,
        assignee_id -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
        verification_level -> Nullable<Text>,
        verification_detail -> Nullable<Text>,
        extension_reason_enc -> Nullable<Text>,
        outcome -> Nullable<Text>,
        denial_code -> Nullable<Text>,
        response_enc -> Nullable<Text>,
        responded_at -> Nullable<Timestamp>,
        appeal_of -> Nullable<Text>,
        purged_at -> Nullable<Timestamp>,
        submission_body -> Nullable<Text>,
        language -> Nullable<Text>,
    }
}

diesel::table! {
    staff (id) {
        id -> Text,
        email -> Text,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        disabled -> Bool,
        failed_logins -> BigInt,
        locked_until -> Nullable<Timestamp>,
        digest_opt_in -> Bool,
        created_at -> Timestamp,
        last_login_at -> Nullable<Timestamp>,
        password_usable -> Bool,
    }
}

diesel::table! {
    staff_oidc_states (state_hash) {
        state_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    staff_sessions (id) {
        id -> Text,
        token_hash -> Text,
        staff_id -> Text,
        started_at -> Timestamp,
        seen_at -> Timestamp,
        client -> Text,
        password_failures -> BigInt,
    }
}

diesel::table! {
    login_throttle (client_key) {
        client_key -> Text,
        failures -> BigInt,
        locked_until -> Nullable<Timestamp>,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    request_pauses (id) {
        id -> Text,
        request_id -> Text,
        started_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notes (id) {
        id -> Text,
        request_id -> Text,
        staff_id -> Text,
        body_enc -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reminders (key) {
        key -> Text,
        request_id -> Nullable<Text>,
        sent_at -> Timestamp,
    }
}

diesel::table! {
    request_identities (id) {
        id -> Text,
        request_id -> Text,
        kind -> Text,
        value_enc -> Text,
        blind_index -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        request_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        seq -> BigInt,
        request_id -> Nullable<Text>,
        actor -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        detail -> Text,
        consumer_visible -> Bool,
        created_at -> Timestamp,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        request_id -> Nullable<Text>,
        template -> Text,
        message_enc -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        body_cleared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    connector_runs (id) {
        id -> Text,
        request_id -> Text,
        connector -> Text,
        action -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        based_on -> Nullable<Text>,
        result_enc -> Nullable<Text>,
        summary -> Nullable<Text>,
        error -> Nullable<Text>,
        requested_by -> Text,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    exports (id) {
        id -> Text,
        request_id -> Text,
        package_enc -> Nullable<Text>,
        size_bytes -> BigInt,
        files -> BigInt,
        downloads -> BigInt,
        max_downloads -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    request_agents (request_id) {
        request_id -> Text,
        authority -> Text,
        agent_name_enc -> Text,
        agent_email_enc -> Text,
        agent_email_index -> Nullable<Text>,
        organisation_enc -> Nullable<Text>,
        registration_number_enc -> Nullable<Text>,
        consumer_confirmation -> Text,
        confirmed_at -> Nullable<Timestamp>,
        drp_agent_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        request_id -> Text,
        purpose -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content_enc -> Nullable<Text>,
        uploaded_at -> Timestamp,
        reviewed_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        review_outcome -> Nullable<Text>,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_agents (id) {
        id -> Text,
        name -> Text,
        verify_key -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_tokens (token_hash) {
        token_hash -> Text,
        agent_id -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    drp_requests (request_id) {
        request_id -> Text,
        agent_id -> Text,
        agent_request_id -> Nullable<Text>,
        exercise -> Text,
        claims_enc -> Text,
        status_callback -> Nullable<Text>,
        revoked -> Bool,
        results_url_enc -> Nullable<Text>,
        notified_state -> Nullable<Text>,
        callback_attempts -> BigInt,
        callback_next_at -> Nullable<Timestamp>,
        callback_claimed_until -> Nullable<Timestamp>,
        callback_error -> Nullable<Text>,
        created_at -> Timestamp,
        verification_url_enc -> Nullable<Text>,
    }
}

diesel::table! {
    drp_replays (replay_key) {
        replay_key -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    reply_templates (id) {
        id -> Text,
        name -> Text,
        purpose -> Text,
        kind -> Text,
        regime -> Text,
        body -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    request_messages (id) {
        id -> Text,
        request_id -> Text,
        author -> Text,
        staff_id -> Nullable<Text>,
        purpose -> Text,
        body_enc -> Text,
        document_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    manual_tasks (id) {
        id -> Text,
        request_id -> Text,
        system -> Text,
        action -> Text,
        owner_id -> Nullable<Text>,
        status -> Text,
        due_on -> Date,
        note_enc -> Nullable<Text>,
        created_at -> Timestamp,
        done_at -> Nullable<Timestamp>,
        done_by -> Nullable<Text>,
        reminded_on -> Nullable<Date>,
        version -> BigInt,
    }
}

diesel::table! {
    manual_task_files (id) {
        id -> Text,
        task_id -> Text,
        request_id -> Text,
        name_enc -> Text,
        media_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        content_enc -> Nullable<Text>,
        uploaded_at -> Timestamp,
        uploaded_by -> Text,
    }
}

diesel::table! {
    /// Open requests per status, kept by triggers on `requests` (migration 000064).
    open_request_counts (status) {
        status -> Text,
        requests -> BigInt,
    }
}

diesel::joinable!(connector_runs -> requests (request_id));
diesel::joinable!(exports -> requests (request_id));
diesel::joinable!(request_agents -> requests (request_id));
diesel::joinable!(documents -> requests (request_id));
diesel::joinable!(drp_tokens -> drp_agents (agent_id));
diesel::joinable!(drp_requests -> requests (request_id));
diesel::joinable!(drp_requests -> drp_agents (agent_id));
diesel::joinable!(request_identities -> requests (request_id));
diesel::joinable!(tokens -> requests (request_id));
diesel::joinable!(audit_events -> requests (request_id));
diesel::joinable!(outbox -> requests (request_id));
diesel::joinable!(requests -> staff (assignee_id));
diesel::joinable!(request_pauses -> requests (request_id));
diesel::joinable!(notes -> requests (request_id));
diesel::joinable!(notes -> staff (staff_id));
diesel::joinable!(staff_sessions -> staff (staff_id));
diesel::joinable!(request_messages -> requests (request_id));
diesel::joinable!(manual_tasks -> requests (request_id));
diesel::joinable!(manual_task_files -> manual_tasks (task_id));

diesel::allow_tables_to_appear_in_same_query!(
    audit_head,
    requests,
    request_identities,
    tokens,
    audit_events,
    outbox,
    staff,
    staff_sessions,
    staff_oidc_states,
    login_throttle,
    request_pauses,
    notes,
    reminders,
    connector_runs,
    exports,
    request_agents,
    documents,
    drp_agents,
    drp_tokens,
    drp_requests,
    drp_replays,
    reply_templates,
    request_messages,
    manual_tasks,
    manual_task_files,
);
