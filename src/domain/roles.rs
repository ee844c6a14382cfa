//! Staff roles and what each may do. Checked on the server for every route and action.

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including staff management and settings.
    Admin,
    /// Works requests.
    Handler,
    /// Read-only: requests, audit log, metrics.
    Auditor,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "handler" => Some(Role::Handler),
            "auditor" => Some(Role::Auditor),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Handler => "handler",
            Role::Auditor => "auditor",
        }
    }

    /// The catalogue key of the role's name as staff read it.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Admin => crate::i18n::key("roles.admin"),
            Role::Handler => crate::i18n::key("roles.handler"),
            Role::Auditor => crate::i18n::key("roles.auditor"),
        }
    }

    pub fn can_read(self) -> bool {
        true
    }

    pub fn can_work_requests(self) -> bool {
        matches!(self, Role::Admin | Role::Handler)
    }

    pub fn can_manage_staff(self) -> bool {
        self == Role::Admin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions() {
        assert!(Role::Admin.can_manage_staff() && Role::Admin.can_work_requests());
        assert!(Role::Handler.can_work_requests() && !Role::Handler.can_manage_staff());
        assert!(!Role::Auditor.can_work_requests() && !Role::Auditor.can_manage_staff());
        assert!(Role::Auditor.can_read());
        for r in [Role::Admin, Role::Handler, Role::Auditor] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
