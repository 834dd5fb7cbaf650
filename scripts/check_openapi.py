"""Checks convmock's /openapi.json with schema-driven tools, for every profile.

Starts the built binary on a free port once per profile, fetches the document, validates it
with openapi-spec-validator (the OpenAPI 3.1 rules and JSON Schema), and validates every
example it gives (parameters, request and response bodies) against its own schema with
jsonschema, which the spec validator does not do. Exits non-zero on the first invalid
document or example.

    python scripts/check_openapi.py target/debug/convmock
"""

import json
import subprocess
import sys
import urllib.request

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

ROOT = "urn:convmock:openapi"


def examples(spec):
    """Yields (where, schema, value) for every example of the document; a schema's
    `$ref` points into the document itself."""
    for path, item in spec["paths"].items():
        shared = item.get("parameters", [])
        for method, operation in item.items():
            if method == "parameters":
                continue
            where = f"{method.upper()} {path}"
            for parameter in shared + operation.get("parameters", []):
                for name, example in parameter.get("examples", {}).items():
                    yield f"{where} {parameter['name']} ({name})", parameter["schema"], example["value"]
            contents = [("request", (operation.get("requestBody") or {}).get("content", {}))]
            contents += [(status, response.get("content", {})) for status, response in operation["responses"].items()]
            for label, content in contents:
                for media, body in content.items():
                    for name, example in body.get("examples", {}).items():
                        yield f"{where} {label} {media} ({name})", body["schema"], example["value"]


def check_examples(spec):
    """Validates every example against its schema; returns how many there are."""
    registry = Registry().with_resource(ROOT, Resource(contents=spec, specification=DRAFT202012))
    checked = 0
    for where, schema, value in examples(spec):
        if "$ref" in schema:
            schema = {"$ref": ROOT + schema["$ref"]}
        errors = [e.message for e in Draft202012Validator(schema, registry=registry).iter_errors(value)]
        if errors:
            sys.exit(f"openapi.json: the example of {where} does not fit its schema: {errors}")
        checked += 1
    return checked


binary = sys.argv[1] if len(sys.argv) > 1 else "target/debug/convmock"
checked = 0
for profile in ("self", "oblic", "protocol"):
    proc = subprocess.Popen(
        [binary, "--port", "0", "--quiet", "--profile", profile],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split()[-1]
        with urllib.request.urlopen(url + "/openapi.json", timeout=10) as resp:
            spec = json.load(resp)
        validate(spec)
        operations = sum(
            1
            for item in spec["paths"].values()
            for method in ("get", "head", "post", "put", "delete")
            if method in item
        )
        fitting = check_examples(spec)
        print(
            f"openapi.json ({profile}): valid OpenAPI {spec['openapi']}, {operations} operations, "
            f"{fitting} examples that fit their schemas"
        )
        checked += 1
    finally:
        proc.terminate()
        proc.wait(timeout=10)
print(f"openapi.json is valid in all {checked} profiles")
