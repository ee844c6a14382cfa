//! Matomo's log tables as the tests create them.

/// Matomo's log tables, with the columns, types and indexes the connector relies on.
pub(super) fn schema(p: &str) -> Vec<String> {
    vec![
        format!(
            "CREATE TABLE {p}log_visit (
                idvisit BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                user_id VARCHAR(200) NULL,
                visit_first_action_time DATETIME NOT NULL,
                visit_last_action_time DATETIME NOT NULL,
                config_id BINARY(8) NOT NULL,
                location_ip VARBINARY(16) NOT NULL,
                location_country CHAR(3) NULL,
                referer_url TEXT NULL,
                PRIMARY KEY (idvisit),
                INDEX index_idsite_config_datetime (idsite, config_id, visit_last_action_time),
                INDEX index_idsite_datetime (idsite, visit_last_action_time),
                INDEX index_idsite_idvisitor_time (idsite, idvisitor, visit_last_action_time DESC)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
        ),
        format!(
            "CREATE TABLE {p}log_link_visit_action (
                idlink_va BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idaction_url_ref INT UNSIGNED NULL DEFAULT 0,
                idaction_name_ref INT UNSIGNED NULL,
                server_time DATETIME NOT NULL,
                idaction_url INT UNSIGNED NULL,
                idaction_name INT UNSIGNED NULL,
                PRIMARY KEY (idlink_va),
                INDEX index_idvisit (idvisit)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_conversion (
                idvisit BIGINT UNSIGNED NOT NULL,
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                server_time DATETIME NOT NULL,
                idaction_url INT NULL,
                idgoal INT NOT NULL,
                buster INT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NULL,
                url VARCHAR(4096) NOT NULL,
                revenue DOUBLE NULL,
                PRIMARY KEY (idvisit, idgoal, buster),
                UNIQUE KEY unique_idsite_idorder (idsite, idorder)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_conversion_item (
                idsite INT UNSIGNED NOT NULL,
                idvisitor BINARY(8) NOT NULL,
                idvisit BIGINT UNSIGNED NOT NULL,
                idorder VARCHAR(100) NOT NULL,
                idaction_sku INT UNSIGNED NOT NULL,
                price DOUBLE NOT NULL,
                quantity INT UNSIGNED NOT NULL,
                deleted TINYINT UNSIGNED NOT NULL,
                PRIMARY KEY (idvisit, idorder, idaction_sku)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
        ),
        format!(
            "CREATE TABLE {p}log_action (
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
