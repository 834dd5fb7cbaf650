//! The OpenAPI 3.1 description of the emulated API, served at `GET /openapi.json`.
//!
//! Built from the same facts the server runs on: the base paths and operations of `router`,
//! each resource's description (`resources`: its fields, its filters, its create rule and
//! its documented calls), the limits of `api` and `model`, and the running profile's error
//! body. Its examples are the documents' calls and the answers the API's own functions give
//! them on the default fixtures, errors rendered by `error` in the running profile. A test
//! checks it against the router both ways (every route described, nothing described that
//! is not routed), others check the examples against the documents and the live server.

use crate::api::{self, Context};
use crate::body::body_kind;
use crate::clock::Clock;
use crate::config::{Auth, Profile};
use crate::error::ApiError;
use crate::events::Bus;
use crate::exchange::{Content, Reply};
use crate::fixtures::{Fixtures, Listed};
use crate::http::authenticate;
use crate::ids::MAX_ID_LEN;
use crate::model::{Fields, MAX_TIMESTAMP, Null, RawValue};
use crate::resources::{
    Contact, Conversation, Description, Field, Group, Kind, MAX_CONTACTS, MAX_NAME_CHARS,
    MAX_REACTIONS, Message, Resource, Test,
};
use crate::router::Base;
use crate::state::{SharedWorkspace, Workspace, WorkspaceCell};
use crate::workspace::Held;
use crate::workspace::Room;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The document for a server running `profile`; `auth` says whether a bearer token is
/// required (it is not with `--no-auth`).
pub fn document(profile: Profile, auth: &Auth) -> Value {
    let examples: Vec<Examples> = Resource::ALL
        .into_iter()
        .map(|resource| match resource {
            Resource::Conversations => Examples::run::<Conversation>(profile, auth),
            Resource::Contacts => Examples::run::<Contact>(profile, auth),
            Resource::Groups => Examples::run::<Group>(profile, auth),
            Resource::Messages => Examples::run::<Message>(profile, auth),
        })
        .collect();
    let mut paths = serde_json::Map::new();
    for base in Base::ALL {
        for ex in &examples {
            let collection_path = format!("{}/{}", base.prefix(), ex.description.plural);
            let item_path = format!("{collection_path}/{{id}}");
            paths.insert(collection_path, collection(base, ex));
            paths.insert(item_path, item(base, ex));
        }
    }
    let mut schemas = Map::new();
    for ex in &examples {
        schemas.extend(resource_schemas(ex.description));
    }
    schemas.insert("Error".into(), error_schema(profile));
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
                            convmock emulates it. Both base paths serve one API over one store. \
                            The examples are the documents' calls and the answers a fresh \
                            server gives them, errors in the running profile's shape.",
        },
        "security": security,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": { "type": "http", "scheme": "bearer" },
            },
            "schemas": schemas,
        },
    })
}

/// A resource's schemas: the record, its list page, and the create and update bodies in
/// both encodings.
fn resource_schemas(d: &Description) -> Map<String, Value> {
    let title = d.title;
    let update = |encoding: Encoding, description: &str| {
        let properties: Map<String, Value> = d
            .updatable()
            .map(|f| (body_name(f, encoding), field_schema(f, encoding, true)))
            .collect();
        let mut schema = json!({
            "description": description,
            "type": "object",
            "additionalProperties": false,
            "properties": properties,
        });
        add_keyed_lists(&mut schema, d.updatable(), encoding);
        schema
    };
    let mut schemas = Map::new();
    schemas.insert(title.into(), record_schema(d));
    schemas.insert(
        format!("{title}List"),
        json!({
            "type": "object",
            "required": ["has_more", "data"],
            "additionalProperties": false,
            "properties": {
                "has_more": { "type": "boolean" },
                "data": {
                    "type": "array",
                    "maxItems": 100,
                    "items": { "$ref": format!("#/components/schemas/{title}") },
                },
            },
        }),
    );
    let either = match (d.create_needs_one_of, d.create_requires) {
        ([], []) => "every field optional".to_owned(),
        ([], required) => format!("{} required", crate::resources::join_and(required)),
        (one_of, _) => format!("{} or both", one_of.join(", ")),
    };
    schemas.insert(
        format!("Create{title}"),
        create_schema(
            d,
            &format!("Create{title}"),
            &format!("A JSON create: {either}; null counts as absent."),
            Encoding::Json,
        ),
    );
    schemas.insert(
        format!("Create{title}Form"),
        create_schema(
            d,
            &format!("Create{title}Form"),
            &format!("A form create: {either}; an empty value counts as absent."),
            Encoding::Form,
        ),
    );
    schemas.insert(
        format!("Update{title}"),
        update(
            Encoding::Json,
            "A JSON update: only the fields sent change; null clears.",
        ),
    );
    schemas.insert(
        format!("Update{title}Form"),
        update(
            Encoding::Form,
            "A form update: values are text; an empty value is null.",
        ),
    );
    schemas
}

/// The documents' calls on one resource and what a fresh server answers them, computed by
/// running the API's own functions on a workspace seeded with the default fixtures, as a
/// fresh server is. The documented values are thus stated once, in the fixtures and the
/// resource's description; a test compares every example with the documents and the
/// reviewed snapshots.
struct Examples {
    profile: Profile,
    description: &'static Description,
    /// The documented list call's `limit`.
    limit: usize,
    /// The documented list's answer.
    list: Value,
    /// The documented create's body (as JSON) and answer, with the clock at the documented
    /// record's `created_at` and its ID queued.
    create: (Value, Value),
    /// The documented retrieve's answer.
    retrieve: Value,
    /// The documented update's body (as JSON) and answer.
    update: (Value, Value),
    /// Retrieve, update or delete of the documented record once it is deleted.
    not_found: ApiError,
    /// A list with `limit` out of range ([`INVALID_LIST_QUERY`]).
    invalid_list: ApiError,
    /// A create without the fields it needs.
    invalid_create: ApiError,
    /// An update of a read-only field.
    invalid_update: ApiError,
    /// A request without a token; `None` when none is needed.
    unauthorized: Option<ApiError>,
    /// A body that is neither form nor JSON.
    unsupported: ApiError,
}

/// The documented list call's query string.
const DOCUMENTED_LIST_QUERY: &str = "limit=10";
/// A list query the server refuses, for the 400 example.
const INVALID_LIST_QUERY: &str = "limit=0";

impl Examples {
    fn run<R: Held + Listed>(profile: Profile, auth: &Auth) -> Self {
        let d = R::DESCRIPTION;
        let id = d.docs.documented_id;
        let fixtures = Fixtures::documented();
        let documented = R::listed(&fixtures)
            .iter()
            .find(|r| r.id() == id)
            .expect("the default fixtures hold the documented record");
        let values = serde_json::to_value(&**documented).expect("a record is JSON");
        let create_body: Value = d
            .docs
            .create_sends
            .iter()
            .map(|name| ((*name).to_owned(), values[*name].clone()))
            .collect::<Map<_, _>>()
            .into();
        let update_body: Value =
            serde_json::from_str(d.docs.update_body).expect("the documented update is JSON");

        let ws: SharedWorkspace = Arc::new(WorkspaceCell::new(Workspace::seeded(&fixtures, 0)));
        let query = api::list_query(d, DOCUMENTED_LIST_QUERY).expect("a valid list query");
        let list = answer(api::list::<R>(&ws, &query, false));
        let retrieve = answer(api::retrieve::<R>(&ws, id, false));
        let patch = api::patch(d, &fields(&update_body)).expect("a valid update");
        let cx = Context {
            compact: false,
            room: Room::UNBOUNDED,
            strict_references: false,
            clock: &Clock::new(Some(documented.created_at())),
            bus: &Bus::default(),
            token: None,
            emitted: &std::cell::RefCell::default(),
        };
        let updated = answer(api::update::<R>(&ws, id, &patch, &cx));
        api::delete::<R>(&ws, id, &cx).expect("the documented record is there to delete");
        let not_found = refusal(api::retrieve::<R>(&ws, id, false));

        // The default fixtures without the documented record, its ID queued: what the
        // documented create needs (a message's conversation) is there.
        let mut queued = fixtures.clone();
        R::listed_mut(&mut queued).retain(|r| r.id() != id);
        queued.next_ids = vec![id.into()];
        let ws: SharedWorkspace = Arc::new(WorkspaceCell::new(Workspace::seeded(&queued, 0)));
        let new = api::new_record(d, &fields(&create_body)).expect("a valid create");
        let created = answer(api::create::<R>(&ws, Base::V1, &new, &cx));

        Examples {
            profile,
            description: d,
            limit: query.limit,
            list,
            create: (create_body, created),
            retrieve,
            update: (update_body, updated),
            not_found,
            invalid_list: refusal(api::list_query(d, INVALID_LIST_QUERY)),
            invalid_create: refusal(api::new_record(d, &Fields::new())),
            invalid_update: refusal(api::patch(d, &fields(&json!({ "created_at": 0 })))),
            unauthorized: authenticate(auth, None).err(),
            unsupported: refusal(body_kind(Some(b"text/plain"))),
        }
    }

    /// An error response whose example, named `name` and summed up by `summary`, is
    /// `error` as the running profile renders it for a request to `url` (path and query).
    fn error(
        &self,
        description: &str,
        (name, summary): (&str, &str),
        error: &ApiError,
        url: &str,
    ) -> Value {
        let (_, body) = error.render(self.profile, url, false);
        let example: Value = serde_json::from_slice(&body).expect("an error body is JSON");
        json!({
            "description": description,
            "content": {
                "application/json": {
                    "schema": { "$ref": "#/components/schemas/Error" },
                    "examples": { name: { "summary": summary, "value": example } },
                },
            },
        })
    }

    /// The error responses every operation on `url` may give: 401 (when a token is needed)
    /// and any other status, such as one a fault rule injects; 413 and 415 too for one that
    /// reads a body.
    fn common_errors(&self, url: &str, reads_body: bool) -> Map<String, Value> {
        let mut responses = Map::new();
        if let Some(unauthorized) = &self.unauthorized {
            responses.insert(
                "401".into(),
                self.error(
                    "No bearer token, or one this server does not accept.",
                    ("missing_token", "No Authorization header"),
                    unauthorized,
                    url,
                ),
            );
        }
        if reads_body {
            responses.insert(
                "413".into(),
                self.error(
                    "The body is larger than 1 MiB.",
                    ("too_large", "A body over 1 MiB"),
                    &ApiError::PayloadTooLarge,
                    url,
                ),
            );
            responses.insert(
                "415".into(),
                self.error(
                    "The body is neither form-urlencoded nor JSON.",
                    ("unsupported_media_type", "Content-Type: text/plain"),
                    &self.unsupported,
                    url,
                ),
            );
        }
        responses.insert(
            "default".into(),
            self.error(
                "Any other error, such as one injected by a fault rule.",
                ("injected_fault", "A fault rule answering 503"),
                &ApiError::Injected { status: 503 },
                url,
            ),
        );
        responses
    }
}

/// A JSON body's fields, as the server reads them.
fn fields(body: &Value) -> Fields {
    body.as_object()
        .expect("an example body is an object")
        .iter()
        .map(|(name, value)| (name.clone(), RawValue::Json(value.clone())))
        .collect()
}

/// The form spelling of a JSON body: every value as text, null as the empty string.
fn form(body: &Value) -> Value {
    let text = |value: &Value| match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    let pairs = body.as_object().expect("an example body is an object");
    let mut form = Map::new();
    for (name, value) in pairs {
        match value {
            // A list: the key repeated with `[]`; `name[]=` alone for none.
            Value::Array(items) if items.is_empty() => {
                form.insert(format!("{name}[]"), json!([""]));
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(text).collect();
                form.insert(format!("{name}[]"), json!(items));
            }
            // A keyed list: `name[key][]` repeated.
            Value::Object(keyed) => {
                for (key, items) in keyed {
                    let items: Vec<String> = items
                        .as_array()
                        .map(|items| items.iter().map(text).collect())
                        .unwrap_or_default();
                    form.insert(format!("{name}[{key}][]"), json!(items));
                }
            }
            other => {
                form.insert(name.clone(), Value::String(text(other)));
            }
        }
    }
    Value::Object(form)
}

fn answer(reply: Result<Reply, ApiError>) -> Value {
    let body = reply
        .expect("the documented calls succeed on the default fixtures")
        .body
        .expect("a 200 or 201 has a body");
    let body = match body {
        Content::Full(body) => Some(body),
        Content::Pieces(_) | Content::Live(_) => None,
    }
    .expect("an API answer is one buffer");
    serde_json::from_slice(&body).expect("an answer is JSON")
}

fn refusal<T: std::fmt::Debug>(result: Result<T, ApiError>) -> ApiError {
    result.expect_err("an example of an error is refused")
}

/// `{"documented": {"summary": …, "value": …}}`.
fn documented(summary: &str, value: Value) -> Value {
    json!({ "documented": { "summary": summary, "value": value } })
}

fn operation_id(base: Base, name: &str) -> String {
    let prefix = match base {
        Base::V1 => "v1",
        Base::External => "external",
    };
    format!("{prefix}_{name}")
}

fn collection(base: Base, ex: &Examples) -> Value {
    let d = ex.description;
    let (plural, singular) = (d.plural, d.singular);
    let url = format!("{}/{plural}", base.prefix());
    let mut list_parameters = vec![json!({
        "name": "limit", "in": "query", "required": false,
        "description": format!("How many {plural} a page holds."),
        "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 10 },
        "examples": documented("The documented list call's limit", json!(ex.limit)),
    })];
    for filter in d.filters {
        list_parameters.push(match filter.test {
            Test::Is | Test::IsSet => boolean_filter(filter.param, filter.doc),
            Test::Equals => id_parameter(filter.param, filter.doc),
        });
    }
    list_parameters.push(id_parameter(
        "starting_after",
        &format!("The page after this {singular}. Not with ending_before."),
    ));
    list_parameters.push(id_parameter(
        "ending_before",
        &format!("The page just before this {singular}. Not with starting_after."),
    ));
    let mut list_responses = Map::new();
    list_responses.insert(
        "200".into(),
        json!({
            "description": format!("One page of {plural}."),
            "content": json_content(
                &format!("{}List", d.title),
                documented("The documented list call's answer", ex.list.clone()),
            ),
        }),
    );
    list_responses.insert(
        "400".into(),
        ex.error(
            "A parameter is invalid; the message names it.",
            ("invalid_limit", "limit out of range"),
            &ex.invalid_list,
            &format!("{url}?{INVALID_LIST_QUERY}"),
        ),
    );
    list_responses.extend(ex.common_errors(&url, false));

    let (create_body, created) = &ex.create;
    let mut create_responses = Map::new();
    create_responses.insert(
        "201".into(),
        json!({
            "description": format!("The new {singular}."),
            "headers": {
                "Location": {
                    "description": format!("The new {singular}'s path, under the same base."),
                    "schema": { "type": "string" },
                },
            },
            "content": json_content(
                d.title,
                documented("The documented create's answer", created.clone()),
            ),
            "links": created_links(base, d),
        }),
    );
    create_responses.insert(
        "400".into(),
        ex.error(
            "A body field is invalid or missing; the message names it.",
            d.docs.create_refused,
            &ex.invalid_create,
            &url,
        ),
    );
    create_responses.insert(
        "429".into(),
        ex.error(
            &format!("The workspace holds as many {plural} as it may (--max-objects)."),
            ("workspace_full", "A workspace at its limit"),
            &ApiError::TooManyObjects {
                resource: plural,
                held: crate::config::DEFAULT_MAX_OBJECTS,
                limit: crate::config::DEFAULT_MAX_OBJECTS,
            },
            &url,
        ),
    );
    create_responses.extend(ex.common_errors(&url, true));

    json!({
        "get": {
            "operationId": operation_id(base, &format!("list_{plural}")),
            "summary": format!("List {plural}, newest first"),
            "parameters": list_parameters,
            "responses": in_order(list_responses),
        },
        "head": {
            "operationId": operation_id(base, &format!("list_{plural}_head")),
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
            "operationId": operation_id(base, &format!("create_{singular}")),
            "summary": d.docs.create_summary,
            "requestBody": body(&format!("Create{}", d.title), true, create_body),
            "responses": in_order(create_responses),
        },
    })
}

fn item(base: Base, ex: &Examples) -> Value {
    let d = ex.description;
    let singular = d.singular;
    let id = d.docs.documented_id;
    let url = format!("{}/{}/{id}", base.prefix(), d.plural);
    let not_found = || {
        ex.error(
            &format!("No {singular} has this ID (in this token's workspace)."),
            (
                "not_found",
                &format!("The documented {singular}, once deleted"),
            ),
            &ex.not_found,
            &url,
        )
    };
    let found = |description: &str, summary: &str, example: &Value| {
        json!({
            "description": description,
            "content": json_content(d.title, documented(summary, example.clone())),
        })
    };

    let mut retrieve_responses = Map::new();
    retrieve_responses.insert(
        "200".into(),
        found(
            &format!("The {singular}."),
            "The documented retrieve's answer",
            &ex.retrieve,
        ),
    );
    retrieve_responses.insert("404".into(), not_found());
    retrieve_responses.extend(ex.common_errors(&url, false));

    let (update_body, updated) = &ex.update;
    let mut update_responses = Map::new();
    update_responses.insert(
        "200".into(),
        found(
            &format!("The updated {singular}."),
            "The documented update's answer",
            updated,
        ),
    );
    update_responses.insert(
        "400".into(),
        ex.error(
            "A body field is invalid, unknown or read-only; the message names it.",
            ("read_only_field", "A read-only field sent"),
            &ex.invalid_update,
            &url,
        ),
    );
    update_responses.insert("404".into(), not_found());
    update_responses.extend(ex.common_errors(&url, true));

    let mut delete_responses = Map::new();
    delete_responses.insert(
        "204".into(),
        json!({ "description": "Deleted; later requests for it get 404." }),
    );
    delete_responses.insert("404".into(), not_found());
    delete_responses.extend(ex.common_errors(&url, false));

    json!({
        "parameters": [{
            "name": "id", "in": "path", "required": true,
            "description": format!("The {singular}'s ID."),
            "schema": { "type": "string", "minLength": 1 },
            "examples": documented(&format!("The documented {singular}"), json!(id)),
        }],
        "get": {
            "operationId": operation_id(base, &format!("retrieve_{singular}")),
            "summary": format!("Retrieve a {singular}"),
            "responses": in_order(retrieve_responses),
        },
        "head": {
            "operationId": operation_id(base, &format!("retrieve_{singular}_head")),
            "summary": format!("The {singular}'s headers, without a body"),
            "responses": {
                "200": { "description": "The headers a GET would answer with." },
                "401": { "description": "No usable bearer token." },
                "404": { "description": format!("No such {singular}.") },
                "default": { "description": "Any other error, without a body." },
            },
        },
        "put": {
            "operationId": operation_id(base, &format!("update_{singular}")),
            "summary": format!("Update a {singular}; only the fields sent change"),
            "requestBody": body(&format!("Update{}", d.title), false, update_body),
            "responses": in_order(update_responses),
        },
        "delete": {
            "operationId": operation_id(base, &format!("delete_{singular}")),
            "summary": format!("Delete a {singular} for good"),
            "responses": in_order(delete_responses),
        },
    })
}

/// Links from a create's answer to the operations on the new record, under the same base,
/// its ID read from the answer's `id`: what a client (or a stateful fuzzer) does next.
///
/// A list's answer has none: `/data/0/id` names nothing on an empty page, which a filter
/// often gives, and schemathesis infers the list-to-item links by itself.
fn created_links(base: Base, d: &Description) -> Value {
    let links: Map<String, Value> = ["Retrieve", "Update", "Delete"]
        .into_iter()
        .map(|verb| {
            let operation = format!("{}_{}", verb.to_lowercase(), d.singular);
            let link = json!({
                "operationId": operation_id(base, &operation),
                "parameters": { "id": "$response.body#/id" },
                "description": format!("{verb} the new {}.", d.singular),
            });
            (format!("{verb}{}", d.title), link)
        })
        .collect();
    Value::Object(links)
}

/// Responses in the order of their status, `default` last.
fn in_order(responses: Map<String, Value>) -> Value {
    let mut entries: Vec<(String, Value)> = responses.into_iter().collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Object(entries.into_iter().collect())
}

fn boolean_filter(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false,
        "description": description,
        "schema": { "type": "boolean" },
    })
}

/// JSON content of a component schema, with its examples.
fn json_content(schema: &str, examples: Value) -> Value {
    json!({
        "application/json": {
            "schema": { "$ref": format!("#/components/schemas/{schema}") },
            "examples": examples,
        },
    })
}

/// A request body in both encodings; the form one has its own schema, since form values
/// are text and an empty one means null. `example` is the documented body, as JSON.
fn body(schema: &str, required: bool, example: &Value) -> Value {
    json!({
        "required": required,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": { "$ref": format!("#/components/schemas/{schema}Form") },
                "examples": documented("The documented request", form(example)),
            },
            "application/json": {
                "schema": { "$ref": format!("#/components/schemas/{schema}") },
                "examples": documented("The documented request, as JSON", example.clone()),
            },
        },
    })
}

/// How a request body is encoded: its values typed (JSON) or all text (a form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Json,
    Form,
}

/// A create body. With a rule that it name one of some fields: a choice of complete objects,
/// one per such field, which requires it (a body naming several fits each of them). Nothing
/// stands beside the choice, so code generators make the type a union, and `{}` fits none.
/// `name` is the schema's, which titles its alternatives (the names generated types take).
fn create_schema(d: &Description, name: &str, description: &str, encoding: Encoding) -> Value {
    let object = |required: &[&str], title: Option<String>| {
        let properties: Map<String, Value> = d
            .creatable()
            .map(|f| {
                let schema = if d.create_requires.contains(&f.name) {
                    match f.kind {
                        Kind::String { max_chars } => free_string(max_chars),
                        _ => id_string(),
                    }
                } else if required.contains(&f.name) {
                    id_string()
                } else {
                    field_schema(f, encoding, false)
                };
                (body_name(f, encoding), schema)
            })
            .collect();
        let mut object = Map::new();
        if let Some(title) = title {
            object.insert("title".into(), json!(title));
        }
        object.extend([
            ("type".into(), json!("object")),
            ("required".into(), json!(required)),
            ("additionalProperties".into(), json!(false)),
            ("properties".into(), Value::Object(properties)),
        ]);
        let mut object = Value::Object(object);
        add_keyed_lists(&mut object, d.creatable(), encoding);
        object
    };
    if d.create_needs_one_of.is_empty() {
        let mut schema = object(d.create_requires, None);
        schema["description"] = json!(description);
        return schema;
    }
    let alternatives: Vec<Value> = d
        .create_needs_one_of
        .iter()
        .map(|named| {
            let mut required = d.create_requires.to_vec();
            required.push(named);
            object(&required, Some(format!("{name}With{}", type_name(named))))
        })
        .collect();
    json!({ "description": description, "anyOf": alternatives })
}

/// `contact_id` as a type's name: `Contact`.
fn type_name(field: &str) -> String {
    field
        .trim_end_matches("_id")
        .split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

/// A body field's schema: JSON values typed, form values text; in a create, a null counts
/// as absent, in an update it clears a nullable field.
fn field_schema(field: &Field, encoding: Encoding, update: bool) -> Value {
    let null = Null::for_field(field, update);
    match (encoding, field.kind) {
        (Encoding::Json, Kind::Text) if null == Null::Refused => id_string(),
        (Encoding::Json, Kind::Text) => nullable_id(),
        (Encoding::Json, Kind::String { max_chars }) if null == Null::Refused => {
            free_string(max_chars)
        }
        (Encoding::Json, Kind::String { max_chars }) => {
            json!({ "type": ["string", "null"], "minLength": 1, "maxLength": max_chars })
        }
        (Encoding::Json, Kind::Bool) => json!({ "type": "boolean" }),
        (Encoding::Json, Kind::Timestamp) => timestamp(field.nullable),
        (Encoding::Form, Kind::String { max_chars }) if null == Null::Refused => {
            free_string(max_chars)
        }
        (Encoding::Form, Kind::String { max_chars }) => {
            json!({ "type": "string", "maxLength": max_chars })
        }
        (Encoding::Json, Kind::Contacts) => json!({
            "type": "array", "items": id_string(), "uniqueItems": true,
            "maxItems": MAX_CONTACTS,
            "description": "Contact IDs, each at most once; they replace the members.",
        }),
        (Encoding::Form, Kind::Contacts) => json!({
            "anyOf": [
                { "type": "array", "items": id_string(), "uniqueItems": true, "minItems": 1,
                  "maxItems": MAX_CONTACTS },
                { "const": [""] },
            ],
            "description": "Contact IDs, the key repeated; one empty value alone is the empty \
                            list.",
        }),
        (Encoding::Json, Kind::Reactions) => reactions_schema(),
        (Encoding::Form, Kind::Reactions) => json!({
            "type": "array", "items": { "type": "string", "maxLength": 0 },
            "description": "Empty for no reactions; reactions themselves go as \
                            reactions[emoji][]=username pairs, or in a JSON body.",
        }),
        (Encoding::Json, Kind::Attachments) => json!({
            "type": "array", "maxItems": 0,
            "description": "Always empty: attachments are not emulated.",
        }),
        (Encoding::Form, Kind::Attachments) => json!({
            "type": "string", "maxLength": 0,
            "description": "Always empty: attachments are not emulated.",
        }),
        // Only the server sets it; never in a body.
        (_, Kind::Contact) => embedded_contact_schema(),
        (Encoding::Form, Kind::Text) => form_string(),
        (Encoding::Form, Kind::Bool) => form_boolean(),
        (Encoding::Form, Kind::Timestamp) => json!({
            "type": "string",
            "pattern": form_timestamp_pattern(),
            "description": format!(
                "Unix time in seconds, in decimal digits, at most {MAX_TIMESTAMP}; \
                 empty for null."
            ),
        }),
    }
}

/// A query parameter that names a record.
fn id_parameter(name: &str, description: &str) -> Value {
    json!({
        "name": name, "in": "query", "required": false,
        "description": description,
        "schema": { "type": "string", "minLength": 1 },
    })
}

/// The pattern of an ID, as [`crate::ids::is_valid_id`] checks it.
fn id_pattern() -> String {
    format!("^[A-Za-z0-9_-]{{1,{MAX_ID_LEN}}}$")
}

fn nullable_id() -> Value {
    json!({ "type": ["string", "null"], "minLength": 1, "maxLength": MAX_ID_LEN,
            "pattern": id_pattern() })
}

/// A form value that is an ID, or empty for null.
fn form_string() -> Value {
    json!({ "type": "string", "maxLength": MAX_ID_LEN,
            "pattern": format!("^[A-Za-z0-9_-]{{0,{MAX_ID_LEN}}}$") })
}

fn form_boolean() -> Value {
    json!({ "type": "string", "enum": ["true", "false"] })
}

/// A contact embedded in a group or a message.
fn embedded_contact_schema() -> Value {
    let fields = [
        "id",
        "username",
        "phone_number",
        "avatar_url",
        "last_active_at",
        "created_at",
    ];
    let properties: Map<String, Value> = fields
        .iter()
        .map(|name| {
            let (_, field) = crate::resources::contacts::DESCRIPTION
                .field(name)
                .expect("an embedded contact's fields are a contact's");
            let schema = match (field.kind, field.nullable) {
                (Kind::Timestamp, nullable) => timestamp(nullable),
                (_, true) => nullable_string(),
                (_, false) => answered_string(),
            };
            ((*name).to_owned(), schema)
        })
        .collect();
    json!({
        "type": "object",
        "required": fields,
        "additionalProperties": false,
        "properties": properties,
    })
}

/// Reactions in a JSON body: emoji name to the usernames that reacted.
fn reactions_schema() -> Value {
    json!({
        "type": "object",
        "propertyNames": { "maxLength": MAX_NAME_CHARS },
        "maxProperties": MAX_REACTIONS,
        "additionalProperties": {
            "type": "array", "items": free_string(MAX_NAME_CHARS), "uniqueItems": true,
            "maxItems": MAX_REACTIONS,
        },
        "description": "Emoji name to the usernames that reacted; replaces the whole set.",
    })
}

/// A form body's keyed lists (`reactions[emoji][]=username`), as pattern properties of
/// the body's schema: their keys are the client's.
fn add_keyed_lists<'f>(
    schema: &mut Value,
    fields: impl Iterator<Item = &'f Field>,
    encoding: Encoding,
) {
    if encoding != Encoding::Form {
        return;
    }
    let patterns: Map<String, Value> = fields
        .filter(|f| f.kind == Kind::Reactions)
        .map(|f| {
            (
                format!(r"^{}\[[^\[\]]+\]\[\]$", f.name),
                // One value, or the key repeated: a form cannot tell one from a list of one.
                json!({ "type": ["array", "string"], "items": free_string(MAX_NAME_CHARS),
                        "minLength": 1, "maxLength": MAX_NAME_CHARS,
                        "maxItems": MAX_REACTIONS }),
            )
        })
        .collect();
    if !patterns.is_empty() {
        schema["patternProperties"] = Value::Object(patterns);
    }
}

/// A field's name in a body: a list's form key ends in `[]`.
fn body_name(field: &Field, encoding: Encoding) -> String {
    match (encoding, field.kind) {
        (Encoding::Form, Kind::Contacts | Kind::Reactions) => format!("{}[]", field.name),
        _ => field.name.to_owned(),
    }
}

/// Free text: any non-empty string of at most `max_chars` characters.
fn free_string(max_chars: usize) -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": max_chars })
}

/// Text in an answer: never empty; its length is what the workspace holds (a fixtures file
/// is not held to a request's limits).
fn answered_string() -> Value {
    json!({ "type": "string", "minLength": 1 })
}

fn id_string() -> Value {
    json!({ "type": "string", "minLength": 1, "maxLength": MAX_ID_LEN, "pattern": id_pattern() })
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

/// A record as the API writes it: every field, always present.
fn record_schema(d: &Description) -> Value {
    let names: Vec<&str> = d.fields.iter().map(|f| f.name).collect();
    let properties: Map<String, Value> = d
        .fields
        .iter()
        .map(|f| {
            let schema = match (f.kind, f.nullable) {
                (Kind::Text | Kind::String { .. }, true) => nullable_string(),
                (Kind::Text | Kind::String { .. }, false) => answered_string(),
                (Kind::Bool, _) => json!({ "type": "boolean" }),
                (Kind::Timestamp, nullable) => timestamp(nullable),
                (Kind::Contacts, _) => json!({
                    "type": "array",
                    "items": embedded_contact_schema(),
                }),
                (Kind::Contact, _) => embedded_contact_schema(),
                (Kind::Reactions, _) => json!({
                    "type": "array",
                    "items": {
                        "type": "object", "minProperties": 1, "maxProperties": 1,
                        "additionalProperties": {
                            "type": "array", "items": answered_string(),
                        },
                    },
                }),
                (Kind::Attachments, _) => json!({ "type": "array", "maxItems": 0 }),
            };
            (f.name.to_owned(), schema)
        })
        .collect();
    json!({
        "type": "object",
        "required": names,
        "additionalProperties": false,
        "properties": properties,
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
    use crate::exchange::Method;
    use crate::router::route;

    const METHODS: [&str; 7] = ["get", "head", "post", "put", "delete", "patch", "options"];

    fn full_match(alternation: &str) -> regex::Regex {
        regex::Regex::new(&format!("^(?:{alternation})$")).unwrap()
    }

    #[test]
    fn form_examples_use_the_bracket_forms_their_schemas_allow() {
        assert_eq!(
            form(&json!({"reactions": {"red_angry_face": ["KateMcCallister"]}})),
            json!({"reactions[red_angry_face][]": ["KateMcCallister"]})
        );
        assert_eq!(
            form(&json!({"contacts": ["a", "b"], "name": "x"})),
            json!({"contacts[]": ["a", "b"], "name": "x"})
        );
        assert_eq!(form(&json!({"contacts": []})), json!({"contacts[]": [""]}));
        let doc = document(Profile::SelfChat, &Auth::AnyToken);
        let update = &doc["components"]["schemas"]["UpdateMessageForm"];
        let pattern = update["patternProperties"].as_object().unwrap();
        let key = pattern.keys().next().unwrap();
        let re = regex::Regex::new(key).unwrap();
        assert!(re.is_match("reactions[red_angry_face][]") && !re.is_match("reactions[]"));
        let group = &doc["components"]["schemas"]["CreateGroupForm"]["properties"];
        assert_eq!(group["contacts[]"]["anyOf"][1]["const"], json!([""]));
    }

    #[test]
    fn a_create_alternative_is_named_for_the_field_it_requires() {
        assert_eq!(type_name("contact_id"), "Contact");
        assert_eq!(type_name("pinned_message_id"), "PinnedMessage");
        let doc = document(Profile::SelfChat, &Auth::AnyToken);
        let titles: Vec<&str> = doc["components"]["schemas"]["CreateConversation"]["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|alternative| alternative["title"].as_str().unwrap())
            .collect();
        assert_eq!(
            titles,
            [
                "CreateConversationWithContact",
                "CreateConversationWithGroup"
            ]
        );
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
                "/external/contacts",
                "/external/contacts/{id}",
                "/external/conversations",
                "/external/conversations/{id}",
                "/external/groups",
                "/external/groups/{id}",
                "/external/messages",
                "/external/messages/{id}",
                "/v1/contacts",
                "/v1/contacts/{id}",
                "/v1/conversations",
                "/v1/conversations/{id}",
                "/v1/groups",
                "/v1/groups/{id}",
                "/v1/messages",
                "/v1/messages/{id}"
            ]
        );
        for (template, item) in paths {
            let path = template.replace("{id}", "some-id");
            for method in METHODS {
                let described = item.get(method).is_some();
                let http = Method::from_name(&method.to_uppercase());
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
        assert_eq!(ids.len(), 14 * Resource::ALL.len());
        assert!(
            doc["components"]["schemas"]["Error"]["required"]
                .as_array()
                .unwrap()
                .contains(&json!("errors"))
        );
    }
}
