DROP INDEX audit_events_created;
DROP INDEX audit_events_action;
DROP INDEX audit_events_actor;
DROP TABLE reply_templates;
