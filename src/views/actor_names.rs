//! Who did something, as staff read it. Audit events record an actor code (`consumer`,
//! `system`, `cli`, `staff:<id>`, `drp_agent:<id>`); pages show a staff member's email
//! and the others' names from the catalogue. An unknown code shows as itself.

use crate::db::models::staff;
use crate::db::DbConn;
use crate::error::AppError;
use crate::flows::actors;
use crate::templates::Templates;
use std::collections::HashMap;

pub struct ActorNames {
    /// Staff id → email. Staff accounts are few, and are never deleted (only disabled).
    staff_emails: HashMap<String, String>,
}

impl ActorNames {
    pub fn load(conn: &mut DbConn) -> Result<ActorNames, AppError> {
        Ok(ActorNames {
            staff_emails: staff::list(conn)?
                .into_iter()
                .map(|s| (s.id, s.email))
                .collect(),
        })
    }

    /// Names from a known list of staff (id → email), for pages built without a database.
    pub fn from_emails(staff_emails: HashMap<String, String>) -> ActorNames {
        ActorNames { staff_emails }
    }

    pub fn name(&self, templates: &Templates, actor: &str) -> String {
        if let Some(email) = actor
            .strip_prefix("staff:")
            .and_then(|id| self.staff_emails.get(id))
        {
            return email.clone();
        }
        if let Some(agent) = actor.strip_prefix("drp_agent:") {
            return templates.phrase("actors.drp_agent", &[("id", agent)]);
        }
        match actor {
            actors::CONSUMER => templates.phrase("actors.consumer", &[]),
            actors::AGENT => templates.phrase("actors.agent", &[]),
            actors::API => templates.phrase("actors.api", &[]),
            actors::SYSTEM => templates.phrase("actors.system", &[]),
            actors::CLI => templates.phrase("actors.cli", &[]),
            other => other.to_string(),
        }
    }
}
