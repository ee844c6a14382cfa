//! The OpenAPI 3.1 description of the intake API, served at `/api/v1/openapi.json`.

use crate::domain::kinds::{Jurisdiction, RequestKind};
use actix_web::HttpResponse;
use serde_json::{json, Value};

pub async fn document() -> HttpResponse {
    HttpResponse::Ok().json(spec())
}

pub fn spec() -> Value {
    let kinds: Vec<_> = RequestKind::ALL.iter().map(|k| k.as_str()).collect();
    let places: Vec<_> = Jurisdiction::ALL.iter().map(|j| j.as_str()).collect();
    let error = json!({"$ref": "#/components/schemas/Error"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "dsar-portal intake API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "File data-subject requests on a person's behalf from your own site. The person still confirms their email address through the link we send."
        },
        "paths": {
            "/api/v1/requests": {
                "post": {
                    "summary": "File a request",
                    "parameters": [{
                        "name": "Idempotency-Key", "in": "header", "required": false,
                        "schema": {"type": "string", "maxLength": 200},
                        "description": "Retrying with the same key and the same body (key order and spacing aside) returns the request created the first time; another body under a used key is refused with 422."
                    }],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewRequest"}}}},
                    "responses": {
                        "202": {"description": "Accepted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}}},
                        "400": {"description": "Malformed body", "content": {"application/json": {"schema": error}}},
                        "415": {"description": "Not JSON", "content": {"application/json": {"schema": error}}},
                        "422": {"description": "Validation failed (with errors per field), or the Idempotency-Key was used with another body", "content": {"application/json": {"schema": {"anyOf": [{"$ref": "#/components/schemas/ValidationError"}, error]}}}},
                        "429": {"description": "Rate limited", "content": {"application/json": {"schema": error}}},
                        "503": {"description": "Temporarily unavailable", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/api/v1/connectors/{name}/callback": {
                "post": {
                    "summary": "A webhook system's later answer to a call it accepted with 202",
                    "description": "Signed like the portal's calls: X-DSAR-Timestamp and X-DSAR-Signature: v1=<hex HMAC-SHA256(secret, \"<timestamp>.<body>\")>, within 300 s. Accepted once per call.",
                    "parameters": [
                        {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                        {"name": "X-DSAR-Timestamp", "in": "header", "required": true, "schema": {"type": "string"}},
                        {"name": "X-DSAR-Signature", "in": "header", "required": true, "schema": {"type": "string"}}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {
                        "type": "object", "required": ["run_id", "event"],
                        "properties": {"run_id": {"type": "string"}, "event": {"type": "string", "enum": ["find", "export", "erase", "opt_out"]}}
                    }}}},
                    "responses": {
                        "200": {"description": "Run completed"},
                        "400": {"description": "Unreadable answer", "content": {"application/json": {"schema": error}}},
                        "403": {"description": "Bad signature or outside the replay window"},
                        "404": {"description": "No such webhook connector", "content": {"application/json": {"schema": error}}},
                        "409": {"description": "No run is waiting for this call (already answered)", "content": {"application/json": {"schema": error}}}
                    }
                }
            },
            "/api/v1/status/{token}": {
                "get": {
                    "summary": "Status of a request, by the secret token of its status link",
                    "parameters": [{"name": "token", "in": "path", "required": true, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {"description": "Status", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Status"}}}},
                        "403": {"description": "Link expired", "content": {"application/json": {"schema": error}}},
                        "404": {"description": "Unknown link", "content": {"application/json": {"schema": error}}},
                        "429": {"description": "Rate limited", "content": {"application/json": {"schema": error}}}
                    }
                }
            }
        },
        "components": {"schemas": {
            "NewRequest": {
                "type": "object",
                "required": ["kind", "jurisdiction", "email"],
                "properties": {
                    "kind": {"type": "string", "enum": kinds},
                    "jurisdiction": {"type": "string", "enum": places},
                    "name": {"type": "string", "maxLength": 200, "description": "Required except for opt_out."},
                    "email": {"type": "string", "format": "email", "maxLength": 254},
                    "identifiers": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 200}},
                    "details": {"type": "string", "maxLength": 5000},
                    "correction_current": {"type": "string", "maxLength": 2000},
                    "correction_requested": {"type": "string", "maxLength": 2000},
                    "direct_marketing": {"type": "boolean", "description": "For objections: the objection concerns direct marketing (always honoured)."}
                }
            },
            "Accepted": {
                "type": "object",
                "required": ["reference", "status", "due_at"],
                "properties": {
                    "reference": {"type": "string"},
                    "status": {"type": "string"},
                    "due_at": {"type": "string", "format": "date"},
                    "acknowledge_by": {"type": ["string", "null"], "format": "date"},
                    "verification": {"type": "string", "enum": ["email_sent", "not_required"]}
                }
            },
            "Status": {
                "type": "object",
                "properties": {
                    "reference": {"type": "string"},
                    "kind": {"type": "string"},
                    "regime": {"type": "string"},
                    "status": {"type": "string"},
                    "step": {"type": "string"},
                    "received_at": {"type": "string"},
                    "due_at": {"type": "string", "format": "date"},
                    "extended": {"type": "boolean"},
                    "timeline": {"type": "array", "items": {"type": "object", "properties": {"at": {"type": "string"}, "event": {"type": "string"}}}}
                }
            },
            "Error": {"type": "object", "required": ["error", "message"], "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
            "ValidationError": {
                "type": "object",
                "required": ["error", "message", "errors"],
                "properties": {
                    "error": {"type": "string"},
                    "message": {"type": "string"},
                    "errors": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
                }
            }
        }}
    })
}
