//! (method, path) to the operation it names, or why there is none.
//!
//! Both base paths, `/v1` and `/external`, lead to the same operations, and every resource
//! (`resources`) is served at `{base}/{plural}` and `{base}/{plural}/{id}`. A known path
//! with an unserved method is a 405 with its `Allow` list; anything else is a 404. No logic
//! here.

use crate::error::ApiError;
use crate::exchange::Method;
use crate::resources::Resource;

/// The base path a request came in on; `Location` headers keep it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// `/v1` (Self, and Oblic's headings).
    V1,
    /// `/external` (Oblic's curl examples).
    External,
}

impl Base {
    /// Both base paths.
    pub const ALL: [Base; 2] = [Base::V1, Base::External];

    /// The path prefix, without a trailing slash.
    pub fn prefix(self) -> &'static str {
        match self {
            Base::V1 => "/v1",
            Base::External => "/external",
        }
    }
}

/// The five operations every resource serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `GET {base}/{plural}`.
    List,
    /// `POST {base}/{plural}`.
    Create,
    /// `GET {base}/{plural}/{id}`.
    Retrieve,
    /// `PUT {base}/{plural}/{id}`.
    Update,
    /// `DELETE {base}/{plural}/{id}`.
    Delete,
}

impl Op {
    /// Whether the operation reads a request body.
    pub fn reads_body(self) -> bool {
        matches!(self, Op::Create | Op::Update)
    }
}

/// A matched API request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route<'a> {
    /// Which base path it came in on.
    pub base: Base,
    /// The resource.
    pub resource: Resource,
    /// The operation.
    pub op: Op,
    /// The record's ID, for the operations on one record.
    pub id: Option<&'a str>,
}

/// The `Allow` list of `{base}/{plural}`.
pub const COLLECTION_ALLOW: &str = "GET, HEAD, POST, OPTIONS";
/// The `Allow` list of `{base}/{plural}/{id}`.
pub const ITEM_ALLOW: &str = "GET, HEAD, PUT, DELETE, OPTIONS";

/// Whether a path is under one of the API's base paths, where a bearer token is required.
pub fn is_api_path(path: &str) -> bool {
    split_base(path).is_some()
}

fn split_base(path: &str) -> Option<(Base, &str)> {
    Base::ALL.into_iter().find_map(|base| {
        let rest = path.strip_prefix(base.prefix())?;
        (rest.is_empty() || rest.starts_with('/')).then_some((base, rest))
    })
}

/// The route for a request; HEAD is routed as GET.
pub fn route<'a>(method: &Method, path: &'a str) -> Result<Route<'a>, ApiError> {
    let no_route = || ApiError::NoRoute {
        method: method.to_string(),
        path: path.to_owned(),
    };
    let (base, rest) = split_base(path).ok_or_else(no_route)?;
    let rest = rest.strip_prefix('/').ok_or_else(no_route)?;
    let (resource, rest) = Resource::ALL
        .into_iter()
        .find_map(|resource| {
            let rest = rest.strip_prefix(resource.describe().plural)?;
            (rest.is_empty() || rest.starts_with('/')).then_some((resource, rest))
        })
        .ok_or_else(no_route)?;
    let id = match rest.strip_prefix('/') {
        None => None,
        Some(id) if !id.is_empty() && !id.contains('/') => Some(id),
        Some(_) => return Err(no_route()),
    };
    let allow = if id.is_some() {
        ITEM_ALLOW
    } else {
        COLLECTION_ALLOW
    };
    let op = match (method, id) {
        (Method::Get | Method::Head, None) => Op::List,
        (Method::Post, None) => Op::Create,
        (Method::Get | Method::Head, Some(_)) => Op::Retrieve,
        (Method::Put, Some(_)) => Op::Update,
        (Method::Delete, Some(_)) => Op::Delete,
        _ => {
            return Err(ApiError::MethodNotAllowed {
                method: method.to_string(),
                path: path.to_owned(),
                allow,
            });
        }
    };
    Ok(Route {
        base,
        resource,
        op,
        id,
    })
}

/// The `Allow` list of a known path, for a CORS preflight; `None` for an unknown one.
pub fn allowed(path: &str) -> Option<&'static str> {
    match route(&Method::Get, path) {
        Ok(Route { id: None, .. }) => Some(COLLECTION_ALLOW),
        Ok(Route { id: Some(_), .. }) => Some(ITEM_ALLOW),
        Err(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_base_paths_route_every_operation() {
        for base in ["/v1", "/external"] {
            let coll = format!("{base}/conversations");
            let path = format!("{base}/conversations/abc");
            let list = route(&Method::Get, &coll).unwrap();
            assert_eq!(
                (list.resource, list.op, list.id),
                (Resource::Conversations, Op::List, None)
            );
            assert_eq!(list.base.prefix(), base);
            let head = route(&Method::Head, &path).unwrap();
            assert_eq!((head.op, head.id), (Op::Retrieve, Some("abc")));
            assert_eq!(route(&Method::Put, &path).unwrap().op, Op::Update);
            assert_eq!(route(&Method::Delete, &path).unwrap().op, Op::Delete);
            assert_eq!(route(&Method::Post, &coll).unwrap().op, Op::Create);
        }
    }

    #[test]
    fn wrong_methods_are_405_with_allow_and_unknown_paths_404() {
        match route(&Method::Delete, "/v1/conversations") {
            Err(ApiError::MethodNotAllowed { allow, .. }) => assert_eq!(allow, COLLECTION_ALLOW),
            other => panic!("{other:?}"),
        }
        match route(&Method::from_name("PATCH"), "/external/conversations/x") {
            Err(ApiError::MethodNotAllowed { allow, .. }) => assert_eq!(allow, ITEM_ALLOW),
            other => panic!("{other:?}"),
        }
        for path in [
            "/",
            "/v1",
            "/v1/",
            "/v2/conversations",
            "/v1conversations",
            "/v1/conversation",
            "/v1/conversations/",
            "/v1/conversations/a/b",
            "/v1/conversationsx",
            "/v1/conversationsx/a",
            "/v1//a",
            "/v1/contactsx",
            "/v1/contacts/a/b",
        ] {
            assert!(
                matches!(route(&Method::Get, path), Err(ApiError::NoRoute { .. })),
                "{path}"
            );
        }
        assert!(is_api_path("/v1") && is_api_path("/external/x") && !is_api_path("/v10"));
        assert_eq!(allowed("/v1/conversations/x"), Some(ITEM_ALLOW));
        assert_eq!(allowed("/v1/nope"), None);
    }
}
