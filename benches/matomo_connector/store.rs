//! The synthetic Matomo store: its tables, its fill, and the people the bench looks for.

use super::*;

pub(super) fn drop_all() -> Vec<String> {
    LOG_TABLES
        .iter()
        .chain(["log_action"].iter())
        .flat_map(|t| {
            [
                format!("DROP TABLE IF EXISTS {P}{t}"),
                format!("DROP TABLE IF EXISTS {P}keep_{t}"),
            ]
        })
        .collect()
}

/// Matomo 5's log tables (core/Db/Schema/Mysql.php plus the core dimension columns) with
/// its indexes; the columns a plugin-free install has, less a few rarely used ones.
pub(super) fn create_tables() -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {P}log_visit (
                idvisit BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                visit_last_action_time DATETIME NOT NULL,
                config_id BINARY(8) NOT NULL,
                location_ip VARBINARY(16) NOT NULL,
                profilable TINYINT(1) NULL,
                user_id VARCHAR(200) NULL,
                visit_first_action_time DATETIME NOT NULL,
                visit_goal_buyer TINYINT(1) NULL,
                visit_goal_converted TINYINT(1) NULL,
                visitor_returning TINYINT(1) NULL,
                visitor_seconds_since_first INT UNSIGNED NULL,
                visitor_seconds_since_order INT UNSIGNED NULL,
                visitor_count_visits INT UNSIGNED NOT NULL DEFAULT 0,
                visit_entry_idaction_name INT UNSIGNED NULL,
                visit_entry_idaction_url INT UNSIGNED NULL,
                visit_exit_idaction_name INT UNSIGNED NULL,
                visit_exit_idaction_url INT UNSIGNED NULL DEFAULT 0,
                visit_total_actions INT UNSIGNED NULL,
                visit_total_interactions MEDIUMINT UNSIGNED NULL DEFAULT 0,
                visit_total_searches SMALLINT UNSIGNED NULL,
                referer_keyword VARCHAR(255) NULL,
                referer_name VARCHAR(255) NULL,
                referer_type TINYINT UNSIGNED NULL,
                referer_url VARCHAR(1500) NULL,
                location_browser_lang VARCHAR(20) NULL,
                config_browser_engine VARCHAR(10) NULL,
                config_browser_name VARCHAR(40) NULL,
                config_browser_version VARCHAR(20) NULL,
                config_client_type TINYINT(1) NULL,
                config_device_brand VARCHAR(100) NULL,
                config_device_model VARCHAR(100) NULL,
                config_device_type TINYINT(100) NULL,
                config_os VARCHAR(3) NULL,
                config_os_version VARCHAR(100) NULL,
                visit_total_events INT UNSIGNED NULL,
                visitor_localtime TIME NULL,
                visitor_seconds_since_last INT UNSIGNED NULL,
                config_resolution VARCHAR(18) NULL,
                config_cookie TINYINT(1) NULL,
                config_java TINYINT(1) NULL,
                config_pdf TINYINT(1) NULL,
                visit_total_time INT UNSIGNED NOT NULL,
                location_city VARCHAR(255) NULL,
                location_country CHAR(3) NULL,
                location_latitude DECIMAL(9,6) NULL,
                location_longitude DECIMAL(9,6) NULL,
                location_region CHAR(3) NULL,
                PRIMARY KEY (idvisit),
                INDEX index_idsite_config_datetime (idsite, config_id, visit_last_action_time),
                INDEX index_idsite_datetime (idsite, visit_last_action_time),
                INDEX index_idsite_idvisitor_time (idsite, idvisitor, visit_last_action_time DESC)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
        ),
        format!(
            "CREATE TABLE {P}log_link_visit_action (
                idlink_va BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idaction_url_ref INT UNSIGNED NULL DEFAULT 0,
                idaction_name_ref INT UNSIGNED NULL,
                custom_float DOUBLE NULL,
                pageview_position MEDIUMINT UNSIGNED NULL,
                server_time DATETIME NOT NULL,
                idpageview CHAR(6) NULL,
                idaction_name INT UNSIGNED NULL,
                idaction_url INT UNSIGNED NULL,
                search_cat VARCHAR(200) NULL,
                search_count INT UNSIGNED NULL,
                time_spent_ref_action INT UNSIGNED NULL,
                idaction_product_cat INT UNSIGNED NULL,
                idaction_product_sku INT UNSIGNED NULL,
                idaction_event_action INT UNSIGNED NULL,
                idaction_event_category INT UNSIGNED NULL,
                idaction_content_interaction INT UNSIGNED NULL,
                idaction_content_name INT UNSIGNED NULL,
                idaction_content_piece INT UNSIGNED NULL,
                idaction_content_target INT UNSIGNED NULL,
                time_dom_completion MEDIUMINT UNSIGNED NULL,
                time_dom_processing MEDIUMINT UNSIGNED NULL,
                time_network MEDIUMINT UNSIGNED NULL,
                time_on_load MEDIUMINT UNSIGNED NULL,
                time_server MEDIUMINT UNSIGNED NULL,
                time_transfer MEDIUMINT UNSIGNED NULL,
                time_spent INT UNSIGNED NULL,
                PRIMARY KEY (idlink_va),
                INDEX index_idvisit (idvisit)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {P}log_conversion (
                idvisit BIGINT UNSIGNED NOT NULL,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                server_time DATETIME NOT NULL,
                idaction_url INT NULL,
                idlink_va BIGINT UNSIGNED NULL,
                idgoal INT NOT NULL,
                buster INT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NULL,
                items SMALLINT UNSIGNED NULL,
                url VARCHAR(4096) NOT NULL,
                revenue DOUBLE NULL,
                revenue_shipping DOUBLE NULL,
                revenue_subtotal DOUBLE NULL,
                revenue_tax DOUBLE NULL,
                revenue_discount DOUBLE NULL,
                visitor_returning TINYINT(1) NULL,
                visitor_count_visits INT UNSIGNED NOT NULL DEFAULT 0,
                referer_type TINYINT UNSIGNED NULL,
                referer_name VARCHAR(255) NULL,
                location_country CHAR(3) NULL,
                config_browser_name VARCHAR(40) NULL,
                PRIMARY KEY (idvisit, idgoal, buster),
                UNIQUE KEY unique_idsite_idorder (idsite, idorder),
                INDEX index_idsite_datetime (idsite, server_time)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {P}log_conversion_item (
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                server_time DATETIME NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NOT NULL,
                idaction_sku INT UNSIGNED NOT NULL,
                idaction_name INT UNSIGNED NOT NULL,
                idaction_category INT UNSIGNED NOT NULL,
                price DOUBLE NOT NULL,
                quantity INT UNSIGNED NOT NULL,
                deleted TINYINT UNSIGNED NOT NULL,
                PRIMARY KEY (idvisit, idorder, idaction_sku),
                INDEX index_idsite_servertime (idsite, server_time)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {P}log_action (
                idaction INT UNSIGNED NOT NULL AUTO_INCREMENT,
                name VARCHAR(4096) NULL,
                hash INT UNSIGNED NOT NULL,
                type TINYINT UNSIGNED NULL,
                url_prefix TINYINT NULL,
                PRIMARY KEY (idaction),
                INDEX index_type_hash (type, hash)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
    ]
}

/// The fill, server-side. Visit `s` is the person's when s % stride = 1, the user-id-only
/// person's when s % stride = 2; of the rest, one in twenty is a logged-in user among
/// ~10,000 others (visitor id derived from the user id, as Matomo does) and the others
/// are anonymous with a visitor id of their own (cookieless or a new cookie).
pub(super) fn fill(visits: u64, stride: u64) -> Vec<String> {
    let person = format!("s.seq % {stride} = 1");
    let userid_only = format!("s.seq % {stride} = 2");
    let user = "s.seq % 20 = 0";
    let random_visitor = "UNHEX(LEFT(SHA1(CONCAT('visitor-', s.seq)), 16))";
    // The action ids of a visit's n-th action (1 ≤ n ≤ 10), URL and page title.
    let url_of = |visit: &str, n: &str| format!("1 + ({visit} * 7 + {n} * 13) % {URLS}");
    let title_of = |visit: &str, n: &str| format!("{URLS} + 1 + ({visit} * 7 + {n} * 13) % {URLS}");
    let first = "TIMESTAMP'2024-01-01 00:00:00' + INTERVAL ((s.seq * 7919) % 63072000) SECOND";
    let mut sql = vec![
        // In the fill's own session: lets MariaDB bulk-load the empty tables.
        "SET SESSION unique_checks = 0".to_string(),
        "SET SESSION foreign_key_checks = 0".to_string(),
    ];
    sql.push(format!(
        "INSERT INTO {P}log_action (idaction, name, hash, type, url_prefix)
         SELECT seq, name, CRC32(name), 1, 2 FROM (
             SELECT seq, CONCAT('shop.example.com/',
                 ELT(1 + seq % 6, 'product', 'category', 'blog', 'account', 'help', 'search'),
                 '/', seq, IF(seq % 10 = 0, CONCAT('?ref=mail', seq), '')) AS name
             FROM seq_1_to_{URLS}) x"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_action (idaction, name, hash, type, url_prefix)
         SELECT {URLS} + seq, CONCAT(ELT(1 + seq % 6, 'Product', 'Category', 'Blog post',
             'My account', 'Help', 'Search results'), ' ', seq, ' - Example Shop'),
             CRC32(CONCAT('title', seq)), 4, NULL FROM seq_1_to_{URLS}"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_action (idaction, name, hash, type, url_prefix)
         SELECT 2 * {URLS} + seq, CONCAT('SKU-', 1000 + seq), CRC32(CONCAT('SKU-', 1000 + seq)), 5, NULL
         FROM seq_1_to_{SKUS}"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_visit (idvisit, idsite, idvisitor, visit_last_action_time, config_id,
            location_ip, profilable, user_id, visit_first_action_time, visit_goal_buyer,
            visit_goal_converted, visitor_returning, visitor_seconds_since_first,
            visitor_seconds_since_order, visitor_count_visits, visit_entry_idaction_name,
            visit_entry_idaction_url, visit_exit_idaction_name, visit_exit_idaction_url,
            visit_total_actions, visit_total_interactions, visit_total_searches, referer_keyword,
            referer_name, referer_type, referer_url, location_browser_lang, config_browser_engine,
            config_browser_name, config_browser_version, config_client_type, config_device_brand,
            config_device_model, config_device_type, config_os, config_os_version,
            visit_total_events, visitor_localtime, visitor_seconds_since_last, config_resolution,
            config_cookie, config_java, config_pdf, visit_total_time, location_city,
            location_country, location_latitude, location_longitude, location_region)
         SELECT s.seq,
            CASE WHEN {person} OR {userid_only} THEN 1 + (s.seq DIV {stride}) % 3
                 ELSE ELT(1 + s.seq % 10, 1, 1, 1, 1, 2, 2, 3, 3, 4, 5) END,
            CASE WHEN {person} THEN UNHEX(LEFT(SHA1('{PERSON}'), 16))
                 WHEN {userid_only} THEN {random_visitor}
                 WHEN {user} THEN UNHEX(LEFT(SHA1(CONCAT('user-', s.seq % 9973, '@example.org')), 16))
                 ELSE {random_visitor} END,
            {first} + INTERVAL 270 SECOND,
            UNHEX(LEFT(SHA1(CONCAT('config-', s.seq % 250000)), 16)),
            UNHEX(CONCAT(LPAD(HEX(1 + s.seq % 223), 2, '0'), LPAD(HEX((s.seq DIV 223) % 256), 2, '0'), '0000')),
            s.seq % 3 = 0,
            CASE WHEN {person} THEN '{PERSON}' WHEN {userid_only} THEN '{USERID_ONLY}'
                 WHEN {user} THEN CONCAT('user-', s.seq % 9973, '@example.org') END,
            {first},
            s.seq % 500 = 250, s.seq % 100 = 50, s.seq % 4 > 0,
            IF(s.seq % 4 > 0, s.seq % 5000000, 0), NULL, 1 + s.seq % 4,
            {title1}, {url1}, {title10}, {url10},
            10, 10, 0,
            IF(s.seq % 6 = 1, CONCAT('search term ', s.seq % 1000), NULL),
            ELT(1 + s.seq % 6, NULL, 'Google', 'Bing', 'DuckDuckGo', 'newsletter', 'partner.example'),
            1 + s.seq % 6,
            IF(s.seq % 6 IN (1, 2, 3), CONCAT('https://www.google.com/search?q=term', s.seq % 1000), NULL),
            ELT(1 + s.seq % 5, 'de-de,de', 'en-us,en', 'fr-fr,fr', 'nl-nl,nl', 'en-gb,en'),
            ELT(1 + s.seq % 3, 'Blink', 'Gecko', 'WebKit'),
            ELT(1 + s.seq % 4, 'CH', 'FF', 'SF', 'PS'),
            CONCAT(100 + s.seq % 30, '.0'), 1,
            ELT(1 + s.seq % 4, 'AP', 'SA', 'GO', ''),
            ELT(1 + s.seq % 4, 'iPhone', 'Galaxy S23', 'Pixel 8', ''),
            s.seq % 3,
            ELT(1 + s.seq % 5, 'WIN', 'MAC', 'LIN', 'AND', 'IOS'),
            CONCAT(10 + s.seq % 8, '.', s.seq % 4),
            0, SEC_TO_TIME(s.seq % 86400), IF(s.seq % 4 > 0, s.seq % 2592000, 0),
            ELT(1 + s.seq % 4, '1920x1080', '1366x768', '390x844', '2560x1440'),
            s.seq % 5 > 0, 0, 1, 270,
            ELT(1 + s.seq % 6, 'Berlin', 'Munich', 'Paris', 'Amsterdam', 'London', 'Madrid'),
            ELT(1 + s.seq % 6, 'de', 'de', 'fr', 'nl', 'gb', 'es'),
            40 + (s.seq % 1200) / 100, -3 + (s.seq % 1700) / 100,
            ELT(1 + s.seq % 6, 'BE', 'BY', 'IDF', 'NH', 'ENG', 'MD')
         FROM seq_1_to_{visits} s",
        title1 = title_of("s.seq", "1"),
        url1 = url_of("s.seq", "1"),
        title10 = title_of("s.seq", "10"),
        url10 = url_of("s.seq", "10"),
    ));
    // Ten actions per visit, in visit order so that idlink_va grows with idvisit.
    sql.push(format!(
        "INSERT INTO {P}log_link_visit_action (idlink_va, idsite, idvisitor, idvisit,
            idaction_url_ref, idaction_name_ref, pageview_position, server_time, idpageview,
            idaction_name, idaction_url, time_spent_ref_action, time_dom_completion,
            time_dom_processing, time_network, time_on_load, time_server, time_transfer,
            time_spent)
         SELECT (v.idvisit - 1) * 10 + a.seq, v.idsite, v.idvisitor, v.idvisit,
            IF(a.seq = 1, 0, {url_prev}), IF(a.seq = 1, NULL, {title_prev}),
            a.seq, v.visit_first_action_time + INTERVAL (a.seq - 1) * 30 SECOND,
            LPAD(HEX(((v.idvisit * 10 + a.seq) * 2654435761) % 16777216), 6, '0'),
            {title}, {url}, IF(a.seq = 1, 0, 30),
            200 + a.seq * 7, 50 + v.idvisit % 100, 20 + a.seq, 10, 40 + v.idvisit % 60, 5, 30
         FROM {P}log_visit v STRAIGHT_JOIN seq_1_to_10 a",
        url_prev = url_of("v.idvisit", "(a.seq - 1)"),
        title_prev = title_of("v.idvisit", "(a.seq - 1)"),
        title = title_of("v.idvisit", "a.seq"),
        url = url_of("v.idvisit", "a.seq"),
    ));
    // Goal conversions on 1% of the other visits, an order with one item on 0.2%.
    let others = "(user_id IS NULL OR user_id LIKE 'user-%')";
    sql.push(format!(
        "INSERT INTO {P}log_conversion (idvisit, idsite, idvisitor, server_time, idaction_url,
            idlink_va, idgoal, buster, idorder, items, url, revenue, visitor_returning,
            visitor_count_visits, referer_type, referer_name, location_country, config_browser_name)
         SELECT idvisit, idsite, idvisitor, visit_last_action_time, visit_exit_idaction_url,
            idvisit * 10, 1 + idvisit % 3, idvisit % 100000, NULL, NULL,
            CONCAT('https://shop.example.com/newsletter/thanks?c=', idvisit % 2500), 5,
            visitor_returning, visitor_count_visits, referer_type, referer_name,
            location_country, config_browser_name
         FROM {P}log_visit WHERE idvisit % 100 = 50 AND {others}"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_conversion (idvisit, idsite, idvisitor, server_time, idaction_url,
            idlink_va, idgoal, buster, idorder, items, url, revenue, revenue_shipping,
            revenue_subtotal, revenue_tax, visitor_returning, visitor_count_visits, referer_type,
            referer_name, location_country, config_browser_name)
         SELECT idvisit, idsite, idvisitor, visit_last_action_time, visit_exit_idaction_url,
            idvisit * 10, 0, idvisit % 100000, CONCAT('order-', idvisit), 1,
            'https://shop.example.com/checkout/thanks', 24.9, 4.9, 20, 3.19, visitor_returning,
            visitor_count_visits, referer_type, referer_name, location_country, config_browser_name
         FROM {P}log_visit WHERE idvisit % 500 = 250 AND {others}"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_conversion_item (idsite, idvisitor, server_time, idvisit, idorder,
            idaction_sku, idaction_name, idaction_category, price, quantity, deleted)
         SELECT idsite, idvisitor, server_time, idvisit, idorder, 2 * {URLS} + 1 + idvisit % {SKUS},
            {URLS} + 1 + idvisit % {URLS}, 0, 20, 1, 0
         FROM {P}log_conversion WHERE idgoal = 0"
    ));
    // The person's own: a newsletter sign-up and an order of two items.
    let (order_visit, goal_visit) = (1, 1 + stride);
    sql.push(format!(
        "INSERT INTO {P}log_conversion (idvisit, idsite, idvisitor, server_time, idaction_url,
            idlink_va, idgoal, buster, idorder, items, url, revenue, visitor_returning,
            visitor_count_visits, referer_type, referer_name, location_country, config_browser_name)
         SELECT idvisit, idsite, idvisitor, visit_last_action_time, visit_exit_idaction_url,
            idvisit * 10, IF(idvisit = {order_visit}, 0, 1), 1,
            IF(idvisit = {order_visit}, 'bench-order-1', NULL), IF(idvisit = {order_visit}, 2, NULL),
            'https://shop.example.com/checkout/thanks', IF(idvisit = {order_visit}, 59.8, 5),
            visitor_returning, visitor_count_visits, referer_type, referer_name,
            location_country, config_browser_name
         FROM {P}log_visit WHERE idvisit IN ({order_visit}, {goal_visit})"
    ));
    sql.push(format!(
        "INSERT INTO {P}log_conversion_item (idsite, idvisitor, server_time, idvisit, idorder,
            idaction_sku, idaction_name, idaction_category, price, quantity, deleted)
         SELECT idsite, idvisitor, server_time, idvisit, idorder, 2 * {URLS} + s.seq,
            {URLS} + s.seq, 0, 29.9, 1, 0
         FROM {P}log_conversion JOIN seq_1_to_2 s WHERE idorder = 'bench-order-1'"
    ));
    sql.extend(
        LOG_TABLES
            .iter()
            .chain(["log_action"].iter())
            .map(|t| format!("ANALYZE TABLE {P}{t}")),
    );
    sql
}

/// Copies of the person's rows, in `bench_keep_*`.
pub(super) fn keep() -> Vec<String> {
    let mut sql = vec![format!(
        "CREATE TABLE {P}keep_log_visit AS SELECT * FROM {P}log_visit WHERE user_id = '{PERSON}'"
    )];
    for t in &LOG_TABLES[1..] {
        sql.push(format!(
            "CREATE TABLE {P}keep_{t} AS SELECT x.* FROM {P}{t} x \
             WHERE x.idvisit IN (SELECT idvisit FROM {P}keep_log_visit)"
        ));
    }
    sql
}

/// Puts the person's rows back after an erase.
pub(super) fn reseed() -> Vec<String> {
    LOG_TABLES
        .iter()
        .map(|t| format!("INSERT INTO {P}{t} SELECT * FROM {P}keep_{t}"))
        .collect()
}
