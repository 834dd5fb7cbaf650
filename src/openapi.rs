//! The OpenAPI 3.1 description of the emulated API, served at `GET /openapi.json`.
//!
//! Built from the same facts the server runs on: the base paths and operations of `router`,
//! the limits of `api` and `model`, and the running profile's error body. A test checks it
//! against the router both ways (every route described, nothing described that is not
//! routed).

use crate::config::{Auth, Profile};
use crate::model::{MAX_ID_CHARS, MAX_TIMESTAMP};
use crate::router::Base;
use serde_json::{Value, json};

/// The document for a server running `profile`; `auth` says whether a bearer token is
/// required (it is not with `--no-auth`).
pub fn document(profile: Profile, auth: &Auth) -> Value {
    let mut paths = serde_json::Map::new();
    for base in Base::ALL {
        let prefix = base.prefix();
        paths.insert(format!("{prefix}/conversations"), collection(base));
        paths.insert(format!("{prefix}/conversations/{{id}}"), item(base));
    }
    let security = match auth {
        Auth::Disabled => json!([]),
        Auth::AnyToken | Auth::Tokens(_) => json!([{ "bearerAuth": [] }]),
    };
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Conversations API (convmock)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The Conversations REST API of Self (/v1) and Oblic (/external), as \
                            convmock emulates it. Both base paths serve one API over one store.",
        },
        "security": security,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer" },
            },
            "schemas": {
                "Conversation": conversation_schema(),
                "ConversationList": {
                    "type": "object",
                    "required": ["has_more", "data"],
                    "additionalProperties": false,
                    "properties": {
                        "has_more": { "type": "boolean" },
                        "data": {
                            "type": "array",
                            "maxItems": 100,
                            "items": { "$ref": "#/components/schemas/Conversation" },
                        },
                    },
                },
                "CreateConversation": create_schema(
                    "CreateConversation",
                    "A JSON create: contact_id, group_id or both; null counts as absent.",
                    nullable_id(),
                ),
                "CreateConversationForm": create_schema(
                    "CreateConversationForm",
                    "A form create: contact_id, group_id or both; an empty value counts as absent.",
                    form_string(),
                ),
                "UpdateConversation": {
                    "description": "A JSON update: only the fields sent change; null clears.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "pinned_message_id": nullable_id(),
                        "is_pinned": { "type": "boolean" },
                        "is_muted": { "type": "boolean" },
                        "archived_at": timestamp(true),
                    },
                },
                "UpdateConversationForm": {
                    "description": "A form update: values are text; an empty value is null.",
                    "type": "object",
                    "additionalProperties": false,
                    "properties": {
                        "pinned_message_id": form_string(),
                        "is_pinned": form_boolean(),
                        "is_muted": form_boolean(),
                        "archived_at": {
                            "type": "string",
                            "pattern": form_timestamp_pattern(),
                            "description": format!(
                                "Unix time in seconds, in decimal digits, at most {MAX_TIMESTAMP}; \
                                 empty for null."
                            ),
                        },
                    },
                },
                "Error": error_schema(profile),
            },
            "responses": {
                "BadRequest": error_response("A parameter or body field is invalid; the message names it."),
                "Unauthorized": error_response("No bearer token, or one this server does not accept."),
                "NotFound": error_response("No conversation has this ID (in this token's workspace)."),
                "PayloadTooLarge": error_response("The body is larger than 1 MiB."),
                "UnsupportedMediaType": error_response("The body is neither form-urlencoded nor JSON."),
                "Error": error_response("Any other error, such as one injected by a fault rule."),
            },
        },
    })
}

fn operation_id(base: Base, name: &str) -> String {
    let prefix = match base {
        Base::V1 => "v1",
        Base::External => "external",
    };
    format!("{prefix}_{name}")
}

fn collection(base: Base) -> Value {
    let list_parameters = json!([
        {
            "name": "limit", "in": "query", "required": false,
            "description": "How many conversations a page holds.",
            "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 10 },
        },
        boolean_filter("muted", "Only muted (true) or only unmuted (false) conversations."),
        boolean_filter("archived", "Only archived (true) or only unarchived (false) conversations."),
        boolean_filter("pinned", "Only pinned (true) or only unpinned (false) conversations."),
        {
            "name": "group_id", "in": "query", "required": false,
            "description": "Only conversations of this group.",
            "schema": { "type": "string", "minLength": 1 },
        },
        {
            "name": "starting_after", "in": "query", "required": false,
            "description": "The page after this conversation. Not with ending_before.",
            "schema": { "type": "string", "minLength": 1 },
        },
        {
            "name": "ending_before", "in": "query", "required": false,
            "description": "The page just before this conversation. Not with starting_after.",
            "schema": { "type": "string", "minLength": 1 },
        },
    ]);
    json!({
        "get": {
            "operationId": operation_id(base, "list_conversations"),
            "summary": "List conversations, newest first",
            "parameters": list_parameters,
            "responses": {
                "200": {
                    "description": "One page of conversations.",
                    "content": json_content("#/components/schemas/ConversationList"),
                },
                "400": { "$ref": "#/components/responses/BadRequest" },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "default": { "$ref": "#/components/responses/Error" },
            },
        },
        "head": {
            "operationId": operation_id(base, "list_conversations_head"),
            "summary": "The list's headers, without a body",
            "parameters": list_parameters,
            "responses": {
                "200": { "description": "The headers a GET would answer with." },
                "400": { "description": "Invalid parameters." },
                "401": { "description": "No usable bearer token." },
                "default": { "description": "Any other error, without a body." },
            },
        },
        "post": {
            "operationId": operation_id(base, "create_conversation"),
            "summary": "Create a conversation with a contact or a group",
            "requestBody": body("CreateConversation", true),
            "responses": {
                "201": {
                    "description": "The new conversation.",
                    "headers": {
                        "Location": {
                            "description": "The new conversation's path, under the same base.",
                            "schema": { "type": "string" },
                        },
                    },
                    "content": json_content("#/components/schemas/Conversation"),
                },
                "400": { "$ref": "#/components/responses/BadRequest" },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "413": { "$ref": "#/components/responses/PayloadTooLarge" },
                "415": { "$ref": "#/components/responses/UnsupportedMediaType" },
                "default": { "$ref": "#/components/responses/Error" },
            },
        },
    })
}

fn item(base: Base) -> Value {
    let found = |description: &str| {
        json!({
            "description": description,
            "content": json_content("#/components/schemas/Conversation"),
        })
    };
    json!({
        "parameters": [{
            "name": "id", "in": "path", "required": true,
            "description": "The conversation's ID.",
            "schema": { "type": "string", "minLength": 1 },
        }],
        "get": {
            "operationId": operation_id(base, "retrieve_conversation"),
            "summary": "Retrieve a conversation",
            "responses": {
                "200": found("The conversation."),
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "404": { "$ref": "#/components/responses/NotFound" },
                "default": { "$ref": "#/components/responses/Error" },
            },
        },
        "head": {
            "operationId": operation_id(base, "retrieve_conversation_head"),
            "summary": "The conversation's headers, without a body",
            "responses": {
                "200": { "description": "The headers a GET would answer with." },
                "401": { "description": "No usable bearer token." },
                "404": { "description": "No such conversation." },
                "default": { "description": "Any other error, without a body." },
            },
        },
        "put": {
            "operationId": operation_id(base, "update_conversation"),
            "summary": "Update a conversation; only the fields sent change",
            "requestBody": body("UpdateConversation", false),
            "responses": {
                "200": found("The updated conversation."),
                "400": { "$ref": "#/components/responses/BadRequest" },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "404": { "$ref": "#/components/responses/NotFound" },
                "413": { "$ref": "#/components/responses/PayloadTooLarge" },
                "415": { "$ref": "#/components/responses/UnsupportedMediaType" },
                "default": { "$ref": "#/components/responses/Error" },
            },
        },
        "delete": {
            "operationId": operation_id(base, "delete_conversation"),
            "summary": "Delete a conversation for good",
            "responses": {
                "204": { "description": "Deleted; later requests for it get 404." },
                "401": { "$ref": "#/components/responses/Unauthorized" },
                "404": { "$ref": "#/components/responses/NotFound" },
                "default": { "$ref": "#/components/responses/Error" },
            },
        },
    })
}

fn boolean_filter(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false,
        "description": description,
        "schema": { "type": "boolean" },
    })
}

fn json_content(schema: &str) -> Value {
    json!({ "application/json": { "schema": { "$ref": schema } } })
}

/// A request body in both encodings; the form one has its own schema, since form values
/// are text and an empty one means null.
fn body(schema: &str, required: bool) -> Value {
    json!({
        "required": required,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": { "$ref": format!("#/components/schemas/{schema}Form") },
            },
            "application/json": {
                "schema": { "$ref": format!("#/components/schemas/{schema}") },
            },
        },
    })
}

/// A create body: a choice of two complete objects, one that names a contact and one that
/// names a group (a body naming both fits either). Nothing stands beside the choice, so code
/// generators make the type a union of the two, and `{}` fits neither. `name` is the
/// schema's, which titles its alternatives (the names generated types take); `optional` is
/// the schema of the ID that an alternative leaves optional.
fn create_schema(name: &str, description: &str, optional: Value) -> Value {
    let alternative = |with: &str, named: &str| {
        let mut properties = serde_json::Map::new();
        for field in ["contact_id", "group_id"] {
            let schema = if field == named {
                id_string()
            } else {
                optional.clone()
            };
            properties.insert(field.to_owned(), schema);
        }
        json!({
            "title": format!("{name}{with}"),
            "type": "object",
            "required": [named],
            "additionalProperties": false,
            "properties": properties,
        })
    };
    json!({
        "description": description,
        "anyOf": [
            alternative("WithContact", "contact_id"),
            alternative("WithGroup", "group_id"),
        ],
    })
}

fn nullable_id() -> Value {
    json!({ "type": ["string", "null"], "minLength": 1, "maxLength": MAX_ID_CHARS })
}

fn form_string() -> Value {
    json!({ "type": "string", "maxLength": MAX_ID_CHARS })
}

fn form_boolean() -> Value {
    json!({ "type": "string", "enum": ["true", "false"] })
}

fn id_string() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS })
}

fn timestamp(nullable: bool) -> Value {
    let kind = if nullable {
        json!(["integer", "null"])
    } else {
        json!("integer")
    };
    json!({
        "type": kind,
        "minimum": 0,
        "maximum": MAX_TIMESTAMP,
        "description": "Unix time in seconds.",
    })
}

/// The form spelling of a nullable timestamp: the decimal strings of 0..=[`MAX_TIMESTAMP`]
/// (leading zeros allowed, as the server reads them), or the empty string for null.
fn form_timestamp_pattern() -> String {
    let max = u64::try_from(MAX_TIMESTAMP).expect("MAX_TIMESTAMP is not negative");
    format!("^(?:0*(?:{}))?$", decimal_at_most(max))
}

/// An unanchored alternation that matches exactly the decimal numerals of 0..=`max` without
/// leading zeros: zero, the numerals shorter than `max`'s, and for each digit of `max` the
/// numerals of its length that agree with it before that digit and are lower there.
fn decimal_at_most(max: u64) -> String {
    let digits = max.to_string();
    let n = digits.len();
    let any = |count: usize| match count {
        0 => String::new(),
        1 => "[0-9]".to_owned(),
        _ => format!("[0-9]{{{count}}}"),
    };
    let mut alternatives = vec!["0".to_owned()];
    match n {
        1 => {}
        2 => alternatives.push("[1-9]".to_owned()),
        _ => alternatives.push(format!("[1-9][0-9]{{0,{}}}", n - 2)),
    }
    for (i, digit) in digits.bytes().enumerate() {
        // A numeral of n digits starts with 1..=9; later places may be 0.
        let lowest = if i == 0 { b'1' } else { b'0' };
        if digit <= lowest {
            continue;
        }
        let top = digit - 1;
        let below = if top == lowest {
            (top as char).to_string()
        } else {
            format!("[{}-{}]", lowest as char, top as char)
        };
        alternatives.push(format!("{}{below}{}", &digits[..i], any(n - i - 1)));
    }
    if max > 0 {
        alternatives.push(digits);
    }
    alternatives.join("|")
}

fn nullable_string() -> Value {
    json!({ "type": ["string", "null"] })
}

fn conversation_schema() -> Value {
    json!({
        "type": "object",
        "required": [
            "id", "contact_id", "group_id", "pinned_message_id", "is_pinned", "is_muted",
            "last_active_at", "last_opened_at", "created_at", "archived_at",
        ],
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string", "minLength": 1 },
            "contact_id": nullable_string(),
            "group_id": nullable_string(),
            "pinned_message_id": nullable_string(),
            "is_pinned": { "type": "boolean" },
            "is_muted": { "type": "boolean" },
            "last_active_at": timestamp(true),
            "last_opened_at": timestamp(true),
            "created_at": timestamp(false),
            "archived_at": timestamp(true),
        },
    })
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": json_content("#/components/schemas/Error"),
    })
}

fn error_schema(profile: Profile) -> Value {
    let kind = json!({ "type": "string", "enum": ["invalid_request", "api_error"] });
    match profile {
        Profile::SelfChat => json!({
            "type": "object",
            "required": ["url", "type", "error_code", "error_message"],
            "additionalProperties": false,
            "properties": {
                "url": { "type": "string", "description": "The request's path and query." },
                "type": kind,
                "error_code": { "type": "string", "pattern": "^[45][0-9][0-9]$" },
                "error_message": { "type": "string" },
            },
        }),
        Profile::Oblic => json!({
            "type": "object",
            "required": ["status", "data", "errors"],
            "additionalProperties": false,
            "properties": {
                "status": { "const": "error" },
                "data": { "type": "null" },
                "errors": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["cd", "message"],
                        "additionalProperties": false,
                        "properties": {
                            "cd": {
                                "type": "string",
                                "enum": [
                                    "INVALID_REQUEST", "NOT_AUTHENTICATED", "RESOURCE_NOT_FOUND",
                                    "RATE_LIMITED", "INTERNAL_ERROR",
                                ],
                            },
                            "message": { "type": "string" },
                        },
                    },
                },
            },
        }),
        Profile::Protocol => json!({
            "type": "object",
            "required": ["type", "message", "documentation_url"],
            "additionalProperties": false,
            "properties": {
                "type": kind,
                "message": { "type": "string" },
                "documentation_url": { "type": "string", "format": "uri" },
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::router::route;
    use hyper::Method;

    const METHODS: [&str; 7] = ["get", "head", "post", "put", "delete", "patch", "options"];

    fn full_match(alternation: &str) -> regex::Regex {
        regex::Regex::new(&format!("^(?:{alternation})$")).unwrap()
    }

    #[test]
    fn decimal_at_most_matches_exactly_the_numerals_up_to_its_bound() {
        for max in (0..=1200).chain([9_999, 10_000, 10_001, 65_535, 99_099, 100_900]) {
            let pattern = full_match(&decimal_at_most(max));
            for n in (0..=1300).chain(max.saturating_sub(50)..=max + 50) {
                assert_eq!(pattern.is_match(&n.to_string()), n <= max, "{n} <= {max}");
            }
            // Numerals only: no leading zero (the form pattern allows those separately),
            // no sign, nothing empty.
            for other in ["", "00", "01", "-0", "+1", "1 ", "a"] {
                assert!(!pattern.is_match(other), "{other:?} for {max}");
            }
        }
        let widest = full_match(&decimal_at_most(u64::MAX));
        assert!(widest.is_match(&u64::MAX.to_string()));
        assert!(widest.is_match(&(u64::MAX - 1).to_string()));
        assert!(!widest.is_match("18446744073709551616"));
        assert!(!widest.is_match("99999999999999999999"));
    }

    #[test]
    fn the_form_timestamp_pattern_takes_exactly_0_to_max_timestamp_and_empty() {
        let pattern = regex::Regex::new(&form_timestamp_pattern()).unwrap();
        let max = MAX_TIMESTAMP;
        let accepted = [
            String::new(),
            "0".into(),
            "000".into(),
            "9".into(),
            "10".into(),
            "705103200".into(),
            "999999999999999".into(),
            "1000000000000000".into(),
            (max - 1).to_string(),
            max.to_string(),
            format!("00{max}"),
            "8999999999999999".into(),
            "9006999999999999".into(),
            "9007199254740989".into(),
        ];
        let refused = [
            (max + 1).to_string(),
            (max + 9).to_string(),
            "9007199254741000".into(),
            "9007200000000000".into(),
            "9999999999999999".into(),
            "10000000000000000".into(),
            i64::MAX.to_string(),
            u64::MAX.to_string(),
            "99999999999999999999".into(),
            "-1".into(),
            "+1".into(),
            "1.0".into(),
            "1e3".into(),
            " 1".into(),
            "1\n".into(),
            "0x10".into(),
        ];
        for s in &accepted {
            assert!(pattern.is_match(s), "{s:?} is described");
        }
        for s in &refused {
            assert!(!pattern.is_match(s), "{s:?} is not described");
        }
        // What the pattern describes is what the server reads, once capped at MAX_TIMESTAMP.
        for s in accepted.iter().chain(&refused).filter(|s| !s.is_empty()) {
            let read = crate::model::parse_timestamp(s).filter(|t| *t <= max);
            assert_eq!(pattern.is_match(s), read.is_some(), "{s:?}");
        }
    }

    #[test]
    fn every_route_is_described_and_nothing_else() {
        let doc = document(Profile::SelfChat, &Auth::AnyToken);
        let paths = doc["paths"].as_object().unwrap();
        let mut described: Vec<&str> = paths.keys().map(String::as_str).collect();
        described.sort();
        assert_eq!(
            described,
            [
                "/external/conversations",
                "/external/conversations/{id}",
                "/v1/conversations",
                "/v1/conversations/{id}"
            ]
        );
        for (template, item) in paths {
            let path = template.replace("{id}", "some-id");
            for method in METHODS {
                let described = item.get(method).is_some();
                let http = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
                // OPTIONS is the CORS preflight, answered before routing; not an operation.
                let routed = method != "options" && route(&http, &path).is_ok();
                assert_eq!(described, routed, "{method} {template}");
            }
        }
    }

    #[test]
    fn every_operation_needs_the_bearer_scheme_and_has_an_id() {
        let doc = document(Profile::Oblic, &Auth::AnyToken);
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["security"][0]["bearerAuth"], json!([]));
        assert_eq!(
            doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
            "bearer"
        );
        let mut ids = std::collections::HashSet::new();
        for item in doc["paths"].as_object().unwrap().values() {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()));
                }
            }
        }
        assert_eq!(ids.len(), 14);
        assert!(
            doc["components"]["schemas"]["Error"]["required"]
                .as_array()
                .unwrap()
                .contains(&json!("errors"))
        );
    }
}
